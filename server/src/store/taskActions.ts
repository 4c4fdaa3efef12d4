import type { SerializedDag } from "../model/graph";
import { TERMINAL_TASK_STATES, TaskState } from "../model/states";
import type { Db } from "./db";
import { withConn, withTx, type PgConn } from "./pgConn";
import { retryOnDeadlock } from "./deadlockRetry";
import { finalizeRuns } from "./runs";
import { resolvePending, type AdmissionPolicy, type QueuedTask } from "./taskInstances";

/** A running task instance can be cleared or marked too: its worker sees the try is no longer current and stops its body (executor/runTry.ts). */
const CLEARABLE_STATES: ReadonlySet<TaskState> = new Set<TaskState>([...TERMINAL_TASK_STATES, TaskState.running]);
const TERMINAL_LIST = [...TERMINAL_TASK_STATES];

/** A person's action that cannot be applied; `code` maps to an HTTP status. */
export class TaskActionError extends Error {
  override readonly name = "TaskActionError";
  constructor(
    readonly code: "not_found" | "conflict" | "bad_request",
    message: string,
  ) {
    super(message);
  }
}

/** A task instance an action touched; `state` is its state before the action. */
export interface TaskRefRow {
  id: number;
  taskId: string;
  state: TaskState;
  tryNumber: number;
}

/** What to clear in one run (see `clearTaskInstances`). */
export interface ClearOptions {
  taskIds?: readonly string[];
  downstream?: boolean;
  failedOnly?: boolean;
  dryRun?: boolean;
  /**
   * Also clear running task instances (a person's clear, as Airflow's): their worker stops the try
   * and it runs again. Without it (reprocess, backfill, replay) running ones are left alone as `skipped`.
   */
  stopRunning?: boolean;
}

/** Result of a clear: hand it to the dispatch service after the call (`queued` to push, `scheduled` to admit). */
export interface ClearResult {
  cleared: TaskRefRow[];
  skipped: TaskRefRow[];
  queued: QueuedTask[];
  scheduled: number;
}

interface TiRow {
  id: number;
  task_id: string;
  state: TaskState;
  try_number: number;
  upstream_task_ids: string[];
}

const toRef = (r: TiRow): TaskRefRow => ({ id: r.id, taskId: r.task_id, state: r.state, tryNumber: r.try_number });

const SELECT_RUN_TIS = "SELECT id, task_id, state, try_number, upstream_task_ids FROM task_instances WHERE dag_run_id = $1 ORDER BY id";

/**
 * Serializes a person's actions on one run (runnel_lock_run; completions do not take it), then
 * locks every task instance of the run in id order and then the run row, and reads both. Every
 * writer locks task instances before the run row, in id order when it locks several
 * (runnel_finish_tries; a completion writes the run's open count at its end), so this never
 * deadlocks with a completion. Holding the run row before reading its state means a completion's
 * finalize either committed before (and the action sees the ended run and reopens it) or waits and
 * then finds the run no longer `running` or sees what the action changed.
 */
async function lockRun(conn: PgConn, dagRunId: number): Promise<{ state: string; graph: SerializedDag; tis: TiRow[] }> {
  await conn.query("SELECT runnel_lock_run($1)", [dagRunId]);
  const tis = (await conn.query<TiRow>(`${SELECT_RUN_TIS} FOR UPDATE`, [dagRunId])).rows;
  const run = (
    await conn.query<{ state: string; graph: SerializedDag }>(
      "SELECT r.state, v.graph FROM dag_runs r JOIN dag_versions v ON v.id = r.dag_version_id WHERE r.id = $1 FOR UPDATE OF r",
      [dagRunId],
    )
  ).rows[0];
  if (!run) throw new TaskActionError("not_found", `no run ${dagRunId}`);
  return { ...run, tis };
}

/** The selected task ids plus (with `downstream`) everything downstream of them, from upstream_task_ids. */
export function selectWithDownstream(tis: readonly { task_id: string; upstream_task_ids: string[] }[], roots: readonly string[], downstream: boolean): Set<string> {
  const picked = new Set(roots);
  if (!downstream) return picked;
  let grew = true;
  while (grew) {
    grew = false;
    for (const ti of tis) {
      if (!picked.has(ti.task_id) && ti.upstream_task_ids.some((u) => picked.has(u))) {
        picked.add(ti.task_id);
        grew = true;
      }
    }
  }
  return picked;
}

/** The states a clear takes: terminal ones, and running ones too for a person's clear (`stopRunning`). */
const clearableStates = (opts: ClearOptions): ReadonlySet<TaskState> => (opts.stopRunning ? CLEARABLE_STATES : TERMINAL_TASK_STATES);

/** Which task instances a clear takes (terminal and running ones) and leaves (still queued/up for retry/...); pending ones are neither. */
function planClear(tis: TiRow[], opts: ClearOptions): { clear: TiRow[]; skip: TiRow[] } {
  const known = new Set(tis.map((t) => t.task_id));
  const unknown = (opts.taskIds ?? []).filter((t) => !known.has(t));
  if (unknown.length) throw new TaskActionError("bad_request", `taskIds: no task ${unknown.map((u) => JSON.stringify(u)).join(", ")} in this run`);
  const picked = selectWithDownstream(tis, opts.taskIds ?? [...known], opts.downstream === true);
  const chosen = tis.filter((t) => picked.has(t.task_id) && (!opts.failedOnly || t.state === TaskState.failed || t.state === TaskState.upstream_failed));
  const clearable = clearableStates(opts);
  return {
    clear: chosen.filter((t) => clearable.has(t.state)),
    skip: chosen.filter((t) => !clearable.has(t.state) && t.state !== TaskState.pending),
  };
}

/**
 * An ended run goes back to running (end_date NULL) so its cleared tasks can run; fenced on
 * success/failed. Its deadline stays while it is still ahead (the rerun must meet it) or once
 * missed (the miss stays on record); a deadline that passed after the run ended is dropped, so
 * rerunning last week's run does not report a miss nobody can act on.
 */
async function reopenRun(conn: PgConn, dagRunId: number, states: readonly string[]): Promise<void> {
  await conn.query(
    `UPDATE dag_runs SET state = 'running', end_date = NULL,
       deadline_at = CASE WHEN deadline_missed_at IS NULL AND deadline_at <= clock_timestamp() THEN NULL ELSE deadline_at END
     WHERE id = $1 AND state = ANY($2::text[])`,
    [dagRunId, states],
  );
}

/** Judges the run's pending task instances (ready ones to queued or scheduled, as the policy says) and ends the run if nothing is open. */
async function resolveRun(conn: PgConn, dagRunId: number, policy: AdmissionPolicy): Promise<{ queued: QueuedTask[]; scheduled: number }> {
  const state = (await conn.query<{ state: string }>("SELECT state FROM dag_runs WHERE id = $1", [dagRunId])).rows[0]?.state;
  if (state !== "running") return { queued: [], scheduled: 0 };
  const resolved = await resolvePending(conn, { kind: "runs", dagRunIds: [dagRunId] }, (dagId) => policy.queueReady(dagId));
  await finalizeRuns(conn, [dagRunId]);
  return { queued: resolved.queued, scheduled: resolved.scheduled };
}

/**
 * Clears task instances of one run, in one transaction under the run's lock: the terminal ones
 * selected, and with `stopRunning` the running ones too (their worker stops the body within seconds
 * and records the try `canceled`; the task runs again as a new try), and, with `downstream`,
 * everything downstream of them, go back to `pending` with
 * `output = NULL`, `max_tries = try_number + retries + 1` (retries from the run's graph
 * version) and no deadline (the next first start counts a fresh `expectedDuration`), the run goes back to `running` if it had ended, and the pending ones are judged at
 * once (queued or scheduled as `policy` says). The others that are not pending are left alone and returned as
 * `skipped`. A dry run reads the same lists without taking any lock and writes nothing. Hand the
 * result to the dispatch service after it returns.
 * @throws TaskActionError not_found (no run) or bad_request (unknown task id).
 */
export async function clearTaskInstances(db: Db, dagRunId: number, opts: ClearOptions, policy: AdmissionPolicy): Promise<ClearResult> {
  if (opts.dryRun) {
    // Reads only: no run lock, no row locks (a preview must not wait for, or hold up, completions).
    const tis = await withConn(db, async (conn) => {
      if (!(await conn.query("SELECT 1 FROM dag_runs WHERE id = $1", [dagRunId])).rowCount) throw new TaskActionError("not_found", `no run ${dagRunId}`);
      return (await conn.query<TiRow>(SELECT_RUN_TIS, [dagRunId])).rows;
    });
    const plan = planClear(tis, opts);
    return { cleared: plan.clear.map(toRef), skipped: plan.skip.map(toRef), queued: [], scheduled: 0 };
  }
  return retryOnDeadlock(() => withTx(db, async (conn) => {
    const run = await lockRun(conn, dagRunId);
    const plan = planClear(run.tis, opts);
    if (!plan.clear.length) return { cleared: [], skipped: plan.skip.map(toRef), queued: [], scheduled: 0 };
    const retries = new Map(run.graph.tasks.map((t) => [t.id, t.retries]));
    const done = await conn.query<{ id: number }>(
      `UPDATE task_instances t SET state = 'pending', output = NULL, max_tries = t.try_number + d.retries + 1,
         start_date = NULL, end_date = NULL, next_try_at = NULL, heartbeat_at = NULL, updated_at = clock_timestamp(),
         -- the rerun's first try starts a fresh expectedDuration (store/taskTries.ts claim)
         deadline_at = NULL, deadline_missed_at = NULL
       FROM unnest($1::bigint[], $2::int[]) AS d(id, retries)
       WHERE t.id = d.id AND t.state = ANY($3::text[]) RETURNING t.id`,
      [plan.clear.map((t) => t.id), plan.clear.map((t) => retries.get(t.task_id) ?? 0), [...clearableStates(opts)]],
    );
    const clearedIds = new Set(done.rows.map((r) => r.id));
    await reopenRun(conn, dagRunId, ["success", "failed"]);
    const readied = await resolveRun(conn, dagRunId, policy);
    return { cleared: plan.clear.filter((t) => clearedIds.has(t.id)).map(toRef), skipped: plan.skip.map(toRef), ...readied };
  }));
}

/** Result of a mark: the task instance changed (or, dry, would change); hand it to the dispatch service after the call. */
export interface MarkResult {
  dagRunId: number;
  marked: TaskRefRow[];
  queued: QueuedTask[];
  scheduled: number;
}

/**
 * Marks one task instance `success` or `failed` when it is terminal, pending or running (fenced on
 * its current state and try number), then judges the run's pending downstream and ends the run if
 * nothing is left open (an ended run is reopened first so its state is recomputed). A running
 * one's worker then stops its body within seconds and records the try `canceled` (as Airflow's
 * mark of a running task). Queued task instances, and ones already in that state, are left alone
 * (empty `marked`).
 * `actor` (a username) is the actor of the task dead-letter history this writes (migration 0011).
 * @throws TaskActionError not_found.
 */
export async function markTaskInstance(db: Db, tiId: number, state: "success" | "failed", dryRun: boolean, policy: AdmissionPolicy, actor?: string): Promise<MarkResult> {
  const first = (await db("task_instances").select("dag_run_id").where({ id: tiId }).first()) as { dag_run_id: number } | undefined;
  if (!first) throw new TaskActionError("not_found", `no task instance ${tiId}`);
  const dagRunId = first.dag_run_id;
  return retryOnDeadlock(() => withTx(db, async (conn) => {
    // Every task instance of the run is locked: the mark writes this one and its downstream's
    // counters, and the judging after it may write any pending one.
    const ti = (await lockRun(conn, dagRunId)).tis.find((t) => t.id === tiId);
    // Who did it, for the dead-letter history the task-state triggers write (migration 0011).
    if (actor !== undefined) await conn.query("SELECT set_config('runnel.actor', $1, true)", [actor]);
    if (!ti) throw new TaskActionError("not_found", `no task instance ${tiId}`);
    const eligible = ti.state !== state && (CLEARABLE_STATES.has(ti.state) || ti.state === TaskState.pending);
    if (!eligible || dryRun) return { dagRunId, marked: eligible ? [toRef(ti)] : [], queued: [], scheduled: 0 };
    const n = await conn.query(
      `UPDATE task_instances SET state = $2, end_date = clock_timestamp(), next_try_at = NULL, updated_at = clock_timestamp()
       WHERE id = $1 AND state = $3 AND try_number = $4`,
      [tiId, state, ti.state, ti.try_number],
    );
    if (n.rowCount === 0) return { dagRunId, marked: [], queued: [], scheduled: 0 };
    if (ti.state === TaskState.running) {
      // The running try's own error names the person (the task-failure dead letter reads it); its worker closes the attempt.
      await conn.query("UPDATE task_attempts SET error = $3 WHERE task_instance_id = $1 AND try_number = $2 AND state = 'running'", [
        tiId,
        ti.try_number,
        `marked ${state}${actor !== undefined ? ` by ${actor}` : ""} while running`,
      ]);
    }
    await reopenRun(conn, dagRunId, ["success", "failed"]);
    return { dagRunId, marked: [toRef(ti)], ...(await resolveRun(conn, dagRunId, policy)) };
  }));
}

/**
 * Cancels a queued or running run: the run becomes `canceled` and its unfinished task
 * instances `removed`, in one transaction under the run's lock. A try still running is stopped by
 * its worker within seconds (ctx.signal aborted, or its child killed) and recorded `canceled`.
 * @returns the removed task instances (with their previous states).
 * @throws TaskActionError not_found, or conflict when the run has already ended.
 */
export async function cancelRun(db: Db, dagRunId: number): Promise<TaskRefRow[]> {
  return retryOnDeadlock(() => withTx(db, async (conn) => {
    const run = await lockRun(conn, dagRunId);
    const updated = await conn.query("UPDATE dag_runs SET state = 'canceled', end_date = clock_timestamp() WHERE id = $1 AND state IN ('queued','running')", [dagRunId]);
    if (updated.rowCount === 0) throw new TaskActionError("conflict", `run ${dagRunId} has already ended (${run.state})`);
    const removed = await conn.query<TiRow>(
      `WITH old AS (SELECT id, task_id, state, try_number FROM task_instances WHERE dag_run_id = $1 AND NOT (state = ANY($2::text[])))
       UPDATE task_instances t SET state = 'removed', end_date = clock_timestamp(), next_try_at = NULL, updated_at = clock_timestamp()
       FROM old WHERE t.id = old.id RETURNING old.id, old.task_id, old.state, old.try_number, t.upstream_task_ids`,
      [dagRunId, TERMINAL_LIST],
    );
    return removed.rows.map(toRef);
  }));
}
