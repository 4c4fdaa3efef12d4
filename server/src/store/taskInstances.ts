import { evaluateTriggerRuleCounts, type UpstreamCounts } from "../model/triggerRules";
import { TaskState, type TriggerRule } from "../model/states";
import type { Db } from "./db";
import { keyedState, withTx, type PgConn } from "./pgConn";

/**
 * A try to push to BullMQ: a task instance just moved to `queued` (or to `up_for_retry` /
 * `up_for_reschedule`, with the delay until its next try or poke). Its priority comes from the
 * row (the run's queue priority), never from the caller.
 */
export interface QueuedTask {
  id: number;
  tryNumber: number;
  dagId: string;
  queuePriority: number;
  priorityWeight: number;
  /** Not before this many milliseconds (retries, rescheduled pokes). */
  delayMs?: number;
  /** A rescheduled sensor's next poke: pokes already done in this try (see jobIdFor). */
  poke?: number;
}

/**
 * How ready work is admitted, decided by the one admission-and-dispatch service
 * (scheduler/taskDispatch.ts) and applied by every store verb that readies task instances.
 */
export interface AdmissionPolicy {
  /** True: ready task instances of this DAG go straight to `queued`; false: to `scheduled`, for capped admission. */
  queueReady(dagId: string): boolean;
}

/** What a committed transaction made ready: tries it queued (to push), and how many it left `scheduled` (to admit). */
export interface Readied {
  queued: readonly QueuedTask[];
  scheduled?: number;
}

/** The admission policy plus what to do after the commit: store verbs that ready work and dispatch it take this (scheduler/taskDispatch.ts). */
export interface ReadyDispatch extends AdmissionPolicy {
  /** Pushes what the committed verb queued; admits what it left scheduled. */
  dispatch(readied: Readied): Promise<void>;
}

/**
 * For processes without a dispatcher (the CLI working on the database): ready work is left
 * `scheduled`, and a running scheduler's admission queues it within the DAG's caps.
 */
export const DEFER_TO_SCHEDULER: ReadyDispatch = { queueReady: () => false, dispatch: async () => undefined };

/** A pending task instance with the counts of its direct upstream (migration 0020, sql/faninCounters.sql). */
export interface PendingRow {
  id: number;
  dag_run_id: number;
  dag_id: string;
  trigger_rule: TriggerRule;
  upstream_open: number;
  upstream_success: number;
  upstream_failed: number;
  upstream_skipped: number;
  upstream_removed: number;
}

const QUEUED_RETURNING = "id, try_number, dag_id, queue_priority, priority_weight";
interface QueuedRow {
  id: number;
  try_number: number;
  dag_id: string;
  queue_priority: number;
  priority_weight: number;
}
const toQueued = (r: QueuedRow): QueuedTask => ({ id: r.id, tryNumber: r.try_number, dagId: r.dag_id, queuePriority: r.queue_priority, priorityWeight: r.priority_weight });

const countsOf = (r: PendingRow): UpstreamCounts => ({
  open: r.upstream_open,
  success: r.upstream_success,
  failed: r.upstream_failed,
  skipped: r.upstream_skipped,
  removed: r.upstream_removed,
});

/** A task instance by its key. */
export interface TaskKey {
  dagRunId: number;
  taskId: string;
}

/** Where pending task instances to look at are. */
export type PendingScope =
  | { kind: "runs"; dagRunIds: number[] }
  /** These task instances, by key (the direct downstream of task instances that just ended). */
  | { kind: "tasks"; keys: TaskKey[] }
  /** Every pending task instance of every running run (scheduler tick), except `dags test` runs: the CLI that made one runs it. */
  | { kind: "allRunning"; limit: number };

/**
 * Pending task instances with their upstream counters, which the row itself carries (kept by the
 * fan-in trigger): reading one costs one row, however many upstream tasks it has.
 */
const SELECT_PENDING = `SELECT ti.id, ti.dag_run_id, ti.dag_id, ti.trigger_rule,
    ti.upstream_open, ti.upstream_success, ti.upstream_failed, ti.upstream_skipped, ti.upstream_removed
  FROM task_instances ti`;

/** Pending task instances of each of `$1` runs, one run at a time (OFFSET 0 keeps the per-run key lookup: the planner cannot flatten it into a join over the runs). */
export const SELECT_PENDING_OF_RUNS_SQL = `SELECT p.* FROM (SELECT DISTINCT unnest($1::bigint[]) AS id) x
  CROSS JOIN LATERAL (${SELECT_PENDING} WHERE ti.dag_run_id = x.id AND ${keyedState("ti.state")} = 'pending' OFFSET 0) p`;

/** The pending ones of task instances `($1[i], $2[i])` (run id, task id): one key probe each. */
export const SELECT_PENDING_BY_KEY_SQL = `SELECT p.* FROM (SELECT DISTINCT k.run, k.task FROM unnest($1::bigint[], $2::text[]) AS k(run, task)) x
  CROSS JOIN LATERAL (${SELECT_PENDING} WHERE ti.dag_run_id = x.run AND ti.task_id = x.task AND ${keyedState("ti.state")} = 'pending' OFFSET 0) p`;

async function selectPending(conn: PgConn, scope: PendingScope): Promise<PendingRow[]> {
  if (scope.kind === "tasks") {
    return (await conn.query<PendingRow>(SELECT_PENDING_BY_KEY_SQL, [scope.keys.map((k) => k.dagRunId), scope.keys.map((k) => k.taskId)])).rows;
  }
  if (scope.kind === "runs") {
    return (await conn.query<PendingRow>(SELECT_PENDING_OF_RUNS_SQL, [scope.dagRunIds])).rows;
  }
  return (await conn.query<PendingRow>(`${SELECT_PENDING} JOIN dag_runs r ON r.id = ti.dag_run_id AND r.state = 'running' AND r.run_type <> 'test' WHERE ti.state = 'pending' LIMIT $1`, [scope.limit])).rows;
}

/** Outcome of resolving pending task instances against their trigger rules. */
export interface ResolveResult {
  /** Moved straight to queued (fast follow): push these to BullMQ after commit. */
  queued: QueuedTask[];
  /** Moved to scheduled: admission queues them when slots allow. */
  scheduled: number;
  /** Runs in which some task instance changed state. */
  touchedRuns: Set<number>;
  /** How many became skipped or upstream_failed. */
  ended: number;
  /** The run of each one that became skipped or upstream_failed. */
  endedRuns: number[];
  /** How many were looked at and must keep waiting for other upstream tasks. */
  waiting: number;
}

/** An empty ResolveResult to accumulate into. */
export function emptyResolveResult(): ResolveResult {
  return { queued: [], scheduled: 0, touchedRuns: new Set(), ended: 0, endedRuns: [], waiting: 0 };
}

/**
 * Judges pending task instances (with their upstream counters) by their trigger rules and
 * applies the decisions in one statement, fenced on `pending` and on the counters read: a decision
 * made from counters that another transaction has since moved is refused (that transaction read
 * the new counters after moving them and decides instead). Adds to `result`.
 * @returns the direct downstream of those that became skipped or upstream_failed (it may now be decided).
 */
export async function judgePending(conn: PgConn, rows: readonly PendingRow[], queueReady: (dagId: string) => boolean, result: ResolveResult): Promise<TaskKey[]> {
  const decided: { row: PendingRow; state: TaskState }[] = [];
  for (const row of rows) {
    const decision = evaluateTriggerRuleCounts(row.trigger_rule, countsOf(row));
    if (decision === "wait") {
      result.waiting++;
      continue;
    }
    const state = decision === "run" ? (queueReady(row.dag_id) ? TaskState.queued : TaskState.scheduled) : decision === "skip" ? TaskState.skipped : TaskState.upstream_failed;
    decided.push({ row, state });
  }
  const next: TaskKey[] = [];
  for (const c of await applyDecisions(conn, decided)) {
    result.touchedRuns.add(c.dag_run_id);
    if (c.state === TaskState.queued) result.queued.push(toQueued(c));
    else if (c.state === TaskState.scheduled) result.scheduled++;
    else {
      result.ended++;
      result.endedRuns.push(c.dag_run_id);
      for (const taskId of c.downstream_task_ids) next.push({ dagRunId: c.dag_run_id, taskId });
    }
  }
  return next;
}

/**
 * Applies trigger rules to pending task instances in `scope` until nothing changes: a task
 * that became skipped or upstream_failed can decide its own downstream, so the cascade runs
 * in the same call, by key. Ready ones go to `queued` (when `queueReady(dagId)`) or `scheduled`.
 * Each round is one read and one fenced write.
 */
export async function resolvePending(conn: PgConn, scope: PendingScope, queueReady: (dagId: string) => boolean, result = emptyResolveResult()): Promise<ResolveResult> {
  let current: PendingScope | null = scope;
  for (let round = 0; current && round < 1000; round++) {
    const next = await judgePending(conn, await selectPending(conn, current), queueReady, result);
    // Only the downstream of task instances that became terminal here can be decided now.
    current = next.length ? { kind: "tasks", keys: next } : null;
  }
  return result;
}

type ChangedRow = QueuedRow & { dag_run_id: number; task_id: string; state: TaskState; downstream_task_ids: string[] };

/** applyDecisions' statement ($1 ids, $2 states, $3-$7 the counters read); exported for plan tests. */
export const APPLY_DECISIONS_SQL = `WITH locked AS (
     SELECT l.id FROM task_instances l
      WHERE l.id = ANY(ARRAY(SELECT unnest($1::bigint[])
                             UNION SELECT x.id FROM task_instances s
                               CROSS JOIN LATERAL (SELECT dn.id FROM task_instances dn
                                                    WHERE dn.dag_run_id = s.dag_run_id AND dn.task_id = ANY(s.downstream_task_ids) OFFSET 0) x
                              WHERE s.id = ANY($1::bigint[])))
      ORDER BY l.id FOR UPDATE)
   UPDATE task_instances t SET state = d.state,
     try_number = t.try_number + CASE WHEN d.state = 'queued' THEN 1 ELSE 0 END,
     queued_at = CASE WHEN d.state = 'queued' THEN clock_timestamp() ELSE t.queued_at END,
     end_date = CASE WHEN d.state IN ('skipped','upstream_failed') THEN clock_timestamp() ELSE t.end_date END,
     updated_at = clock_timestamp()
   FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[]) AS d(id, state, open, success, failed, skipped, removed)
   WHERE t.id = d.id AND ${keyedState("t.state")} = 'pending'
     AND t.upstream_open = d.open AND t.upstream_success = d.success AND t.upstream_failed = d.failed
     AND t.upstream_skipped = d.skipped AND t.upstream_removed = d.removed
     AND (SELECT count(*) FROM locked) >= 0
   RETURNING t.id, t.try_number, t.dag_id, t.queue_priority, t.priority_weight, t.dag_run_id, t.task_id, t.state, t.downstream_task_ids`;

/**
 * pending -> queued (next try) | scheduled | skipped | upstream_failed, in one statement, fenced
 * on `pending` and on the upstream counters the decision was made from. Before writing, it locks
 * the decided rows and their direct downstream (whose counters the fan-in trigger moves) in id
 * order, the lock order of task instances (sql/finishTries.sql): the uncorrelated subquery on
 * `locked` runs once, before the first row is written.
 */
async function applyDecisions(conn: PgConn, decided: readonly { row: PendingRow; state: TaskState }[]): Promise<ChangedRow[]> {
  if (!decided.length) return [];
  const sorted = [...decided].sort((a, b) => a.row.id - b.row.id);
  const col = (f: (r: PendingRow) => number): number[] => sorted.map((d) => f(d.row));
  const r = await conn.query<ChangedRow>(
    APPLY_DECISIONS_SQL,
    [
      sorted.map((d) => d.row.id),
      sorted.map((d) => d.state),
      col((r) => r.upstream_open),
      col((r) => r.upstream_success),
      col((r) => r.upstream_failed),
      col((r) => r.upstream_skipped),
      col((r) => r.upstream_removed),
    ],
  );
  return r.rows;
}

/**
 * Admission: moves up to `limit` scheduled task instances to queued, claimed with
 * FOR UPDATE SKIP LOCKED so several schedulers never take the same one. Fresh work before
 * backfill work, then higher priority weight. `maxActiveTasks` caps queued+running per DAG.
 */
export async function queueScheduled(db: Db, limit: number, maxActiveTasks: (dagId: string) => number | null): Promise<QueuedTask[]> {
  return withTx(db, async (conn) => {
    const candidates = (
      await conn.query<{ id: number; dag_id: string }>(
        `SELECT id, dag_id FROM task_instances WHERE state = 'scheduled'
         ORDER BY queue_priority, priority_weight DESC, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      )
    ).rows;
    if (!candidates.length) return [];
    const free = await freeTaskSlots(conn, [...new Set(candidates.map((c) => c.dag_id))], maxActiveTasks);
    const picked = candidates.filter((c) => {
      const left = free.get(c.dag_id);
      if (left === undefined) return true;
      free.set(c.dag_id, left - 1);
      return left > 0;
    });
    if (!picked.length) return [];
    const q = await conn.query<QueuedRow>(
      `UPDATE task_instances SET state = 'queued', try_number = try_number + 1, queued_at = clock_timestamp(), updated_at = clock_timestamp()
       WHERE id = ANY($1::bigint[]) AND ${keyedState("state")} = 'scheduled' RETURNING ${QUEUED_RETURNING}`,
      [picked.map((p) => p.id)],
    );
    return q.rows.map(toQueued);
  });
}

/** Free maxActiveTasks slots of the DAGs that have a limit, taken under a per-DAG lock until commit. */
async function freeTaskSlots(conn: PgConn, dagIds: string[], maxActiveTasks: (dagId: string) => number | null): Promise<Map<string, number>> {
  const limited = dagIds.filter((d) => maxActiveTasks(d) !== null).sort();
  const free = new Map<string, number>();
  if (!limited.length) return free;
  for (const dagId of limited) await conn.query("SELECT pg_advisory_xact_lock(hashtext('runnel.admit'), hashtext($1))", [dagId]);
  const active = (
    await conn.query<{ dag_id: string; n: string }>(
      `SELECT dag_id, count(*) AS n FROM task_instances WHERE state IN ('queued','running') AND dag_id = ANY($1::text[]) GROUP BY dag_id`,
      [limited],
    )
  ).rows;
  for (const dagId of limited) free.set(dagId, (maxActiveTasks(dagId) ?? 0) - Number(active.find((a) => a.dag_id === dagId)?.n ?? 0));
  return free;
}

export interface TaskInstanceRow {
  id: number;
  dag_run_id: number;
  dag_id: string;
  task_id: string;
  state: TaskState;
  try_number: number;
  max_tries: number;
  output: unknown;
  worker: string | null;
  queued_at: Date | null;
  start_date: Date | null;
  end_date: Date | null;
  next_try_at: Date | null;
  /** `expectedDuration` in ms, from the run's graph version; null: none (migration 0017). */
  expected_duration_ms: number | null;
  /** Set when its first try starts (start + expected_duration_ms), reset by a clear. */
  deadline_at: Date | null;
  /** When the leading scheduler found it unfinished past deadline_at (store/deadlines.ts). */
  deadline_missed_at: Date | null;
}

export async function listTaskInstances(db: Db, dagRunId: number): Promise<TaskInstanceRow[]> {
  return db<TaskInstanceRow>("task_instances").where({ dag_run_id: dagRunId }).orderBy("id");
}

export async function getTaskInstance(db: Db, id: number): Promise<TaskInstanceRow | undefined> {
  return db<TaskInstanceRow>("task_instances").where({ id }).first();
}
