/**
 * Every state list Runnel persists, defined once. The migration's CHECK constraints,
 * the zod schemas, the scheduler, the API and the UI all read from these objects.
 * Values are persisted strings: never rename one without a migration.
 */

/** States of a task instance, and who sets each. */
export const TaskState = {
  /** Created with its run; waiting for upstream tasks (scheduler creates). */
  pending: "pending",
  /** Upstream satisfied, waiting for a slot (scheduler admission). */
  scheduled: "scheduled",
  /** Pushed to BullMQ (admission or fast-follow after an upstream completes). */
  queued: "queued",
  /** A worker holds it (worker, fenced by try number). */
  running: "running",
  /** Finished without error (worker). */
  success: "success",
  /** Last try failed, or a NonRetryableError (worker, reconciler for zombies). */
  failed: "failed",
  /** A try failed and another is due at next_try_at (worker, reconciler). */
  up_for_retry: "up_for_retry",
  /** A sensor in reschedule mode waiting for its next poke (worker). */
  up_for_reschedule: "up_for_reschedule",
  /** An upstream failed and the trigger rule cannot be met (scheduler/worker). */
  upstream_failed: "upstream_failed",
  /** SkipError, a soft-failed sensor, or a trigger rule that skips (worker/scheduler). */
  skipped: "skipped",
  /** The task no longer exists in the DAG's current version (scheduler). */
  removed: "removed",
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];
export const TASK_STATES = Object.values(TaskState) as readonly TaskState[];

/** A task instance in one of these states will not change again unless cleared. */
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  TaskState.success,
  TaskState.failed,
  TaskState.skipped,
  TaskState.upstream_failed,
  TaskState.removed,
]);
/** A task instance in one of these states has not finished (the dashboard polls it, a run with one is open). */
export const UNFINISHED_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>(TASK_STATES.filter((s) => !TERMINAL_TASK_STATES.has(s)));
/** States that count against concurrency limits: a worker slot is or will be taken. */
export const ACTIVE_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([TaskState.queued, TaskState.running]);
/** States in which the task is expected to have a job in BullMQ (reconciler checks these). */
export const DISPATCHED_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  TaskState.queued,
  TaskState.running,
  TaskState.up_for_retry,
  TaskState.up_for_reschedule,
]);
/** Terminal states that count as failure for run state and trigger rules. */
export const FAILED_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([TaskState.failed, TaskState.upstream_failed]);

/** States of a DAG run, and who sets each. */
export const RunState = {
  /** Created (scheduler, trigger, backfill); waits for a maxActiveRuns slot. */
  queued: "queued",
  /** Started by the scheduler; its tasks are being admitted. */
  running: "running",
  /** Every task ended and no leaf failed (worker/scheduler on the last completion). */
  success: "success",
  /** Every task ended and some leaf failed (worker/scheduler). */
  failed: "failed",
  /** Canceled by a person; unfinished tasks are removed (API/CLI). */
  canceled: "canceled",
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];
export const RUN_STATES = Object.values(RunState) as readonly RunState[];
export const TERMINAL_RUN_STATES: ReadonlySet<RunState> = new Set<RunState>([RunState.success, RunState.failed, RunState.canceled]);
export const ACTIVE_RUN_STATES: ReadonlySet<RunState> = new Set<RunState>([RunState.queued, RunState.running]);

/** Why a run exists, and who creates each. */
export const RunType = {
  /** A closed interval of the DAG's schedule (scheduler). */
  scheduled: "scheduled",
  /** Triggered by a person (API, CLI `dags trigger`). */
  manual: "manual",
  /** One date of a backfill (scheduler, from a stored backfill). */
  backfill: "backfill",
  /** A partition of the datasets the DAG is scheduled on was written (scheduler). */
  dataset_triggered: "dataset_triggered",
  /**
   * `runnel dags test`, run in the CLI's process. Never starts dataset-triggered runs, opens no
   * dead letters and does not count for scheduling (catchup, the next run, maxActiveRuns).
   */
  test: "test",
} as const;
export type RunType = (typeof RunType)[keyof typeof RunType];
export const RUN_TYPES = Object.values(RunType) as readonly RunType[];

/** The state of one try of a task instance (one task_attempts row). */
export const AttemptState = {
  running: "running",
  success: "success",
  failed: "failed",
  skipped: "skipped",
  /** The worker vanished (stalled job or zombie); the try was abandoned. */
  lost: "lost",
  /** A sensor poke that returned false; the sensor will poke again. */
  rescheduled: "rescheduled",
  /**
   * A person canceled the run, marked the running task, or cleared it: the worker aborted the
   * body (ctx.signal, or SIGTERM/SIGKILL of its child) and recorded this when it ended. No retry, no dead letter.
   */
  canceled: "canceled",
} as const;
export type AttemptState = (typeof AttemptState)[keyof typeof AttemptState];
export const ATTEMPT_STATES = Object.values(AttemptState) as readonly AttemptState[];

/** Airflow's trigger rules: when a task may run given its direct upstream states. */
export const TriggerRule = {
  all_success: "all_success",
  all_done: "all_done",
  all_failed: "all_failed",
  one_success: "one_success",
  one_failed: "one_failed",
  none_failed: "none_failed",
  none_failed_min_one_success: "none_failed_min_one_success",
  none_skipped: "none_skipped",
  always: "always",
} as const;
export type TriggerRule = (typeof TriggerRule)[keyof typeof TriggerRule];
export const TRIGGER_RULES = Object.values(TriggerRule) as readonly TriggerRule[];

/** Kinds of dead letter: one bad record, or a whole task that exhausted its retries. */
export const DeadLetterKind = { record: "record", task: "task" } as const;
export type DeadLetterKind = (typeof DeadLetterKind)[keyof typeof DeadLetterKind];

/** States of a dead letter, and who sets each. */
export const DeadLetterStatus = {
  /** Waiting for a person (executor: ctx.validate, or a task's final failure; also a replay/retry that failed again). */
  open: "open",
  /** A person asked for a replay (record) or retry (task); the task instance was cleared and reruns (API/CLI). */
  replay_pending: "replay_pending",
  /** The rerun accepted the record (ctx.validate) or the retried task succeeded (database trigger). */
  replayed: "replayed",
  /** A person discarded (dismissed) it with a reason (API/CLI). */
  discarded: "discarded",
  /** Task letters: the failed task instance was marked success by a person; nothing to rerun (database trigger). */
  resolved: "resolved",
} as const;
export type DeadLetterStatus = (typeof DeadLetterStatus)[keyof typeof DeadLetterStatus];
export const DEAD_LETTER_STATUSES = Object.values(DeadLetterStatus) as readonly DeadLetterStatus[];
/** Statuses in which a letter still needs someone (or its rerun): at most one such task letter per task instance. */
export const UNSETTLED_DEAD_LETTER_STATUSES: ReadonlySet<DeadLetterStatus> = new Set<DeadLetterStatus>([DeadLetterStatus.open, DeadLetterStatus.replay_pending]);

/** Events of a dead letter's history (dead_letter_history.event), and who writes each. */
export const DeadLetterEvent = {
  /** The letter was stored (executor for records; the task-failure trigger for tasks). */
  created: "created",
  /** A person changed a record letter's payload. */
  edited: "edited",
  /** A person asked for a replay / retry (status replay_pending, task cleared). */
  replay_requested: "replay_requested",
  /** The rerun's ctx.validate accepted the record, or the retried task succeeded. */
  replayed: "replayed",
  /** The rerun rejected the record again, or the task failed again: back to open, attempts + 1. */
  requeued: "requeued",
  /** A person discarded it with a reason. */
  discarded: "discarded",
  /** Task letters: the task instance was marked success. */
  resolved: "resolved",
} as const;
export type DeadLetterEvent = (typeof DeadLetterEvent)[keyof typeof DeadLetterEvent];
export const DEAD_LETTER_EVENTS = Object.values(DeadLetterEvent) as readonly DeadLetterEvent[];

/**
 * A "Reprocess downstream" whose later waves (runs that read what earlier reprocessed runs write)
 * are still to be released: running -> completed, or failed when a released run fails.
 */
export const ReprocessState = { running: "running", completed: "completed", failed: "failed" } as const;
export type ReprocessState = (typeof ReprocessState)[keyof typeof ReprocessState];

export const BackfillState = { queued: "queued", running: "running", paused: "paused", completed: "completed", canceled: "canceled" } as const;
export type BackfillState = (typeof BackfillState)[keyof typeof BackfillState];

/** How a backfill treats dates that already have a run. Persisted strings (backfills.reprocess). */
export const ReprocessMode = {
  /** Only dates with no run get one; existing runs are left alone. */
  missing: "missing",
  /** Also clear the failed/upstream_failed task instances of existing ended runs. */
  failed: "failed",
  /** Also clear every task instance of existing ended runs: everything reruns. */
  all: "all",
} as const;
export type ReprocessMode = (typeof ReprocessMode)[keyof typeof ReprocessMode];
export const REPROCESS_MODES = Object.values(ReprocessMode) as readonly ReprocessMode[];

/** In which order a backfill launches its dates. Persisted strings (backfills.run_order). */
export const BackfillOrder = { oldest: "oldest", newest: "newest" } as const;
export type BackfillOrder = (typeof BackfillOrder)[keyof typeof BackfillOrder];
export const BACKFILL_ORDERS = Object.values(BackfillOrder) as readonly BackfillOrder[];

/** What a backfill does on one date. Persisted strings (backfill_dates.action). */
export const BackfillAction = {
  /** No run for the date: the backfill creates one (run_type backfill). */
  create: "create",
  /** An ended run exists and the reprocess mode says rerun it: the backfill clears it. */
  clear: "clear",
  /** A run exists and stays as it is (already fine for the mode, or still active). */
  skip: "skip",
} as const;
export type BackfillAction = (typeof BackfillAction)[keyof typeof BackfillAction];
export const BACKFILL_ACTIONS = Object.values(BackfillAction) as readonly BackfillAction[];

export const UserRole = { viewer: "viewer", operator: "operator", admin: "admin" } as const;
export type UserRole = (typeof UserRole)[keyof typeof UserRole];

/** SQL literal list for a CHECK constraint, e.g. `'a','b'`. Only for the constant lists above. */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",");
}
