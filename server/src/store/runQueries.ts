import type { RunState, RunType, TaskState } from "../model/states";
import type { Db } from "./db";
import type { RunRow } from "./runs";

/**
 * The sensor columns of a task_instances row (migration 0006): every task instance query that
 * selects `*` returns them. Reset when a new try starts (see store/taskTries.claimTries).
 */
export interface TaskInstanceSensorColumns {
  /** First poke of the current try, set by the first poke that reschedules; null otherwise. */
  sensor_started_at: Date | null;
  /** Pokes of the current try that rescheduled the sensor (store/sensorTries.rescheduleTry). */
  sensor_pokes: number;
}

/** A keyset position in "newest logical date first" order. */
export interface RunKey {
  logicalDate: Date;
  id: number;
}

/** Filters of the runs list; `from`/`to` bound the logical date, inclusive. */
export interface RunFilter {
  dagId?: string;
  state?: RunState;
  runType?: RunType;
  from?: Date;
  to?: Date;
}

/**
 * Runs matching `filter`, newest logical date first (ties by id), strictly after `after`;
 * reads `limit + 1` rows so the caller knows whether another page exists.
 */
export async function listRunsPage(db: Db, filter: RunFilter, limit: number, after?: RunKey): Promise<RunRow[]> {
  const q = db<RunRow>("dag_runs").select("*");
  if (filter.dagId) q.where("dag_id", filter.dagId);
  if (filter.state) q.where("state", filter.state);
  if (filter.runType) q.where("run_type", filter.runType);
  if (filter.from) q.where("logical_date", ">=", filter.from);
  if (filter.to) q.where("logical_date", "<=", filter.to);
  if (after) q.whereRaw("(logical_date, id) < (?, ?)", [after.logicalDate, after.id]);
  return q.orderBy([{ column: "logical_date", order: "desc" }, { column: "id", order: "desc" }]).limit(limit + 1);
}

/** One grid cell as read. */
export interface GridCellRow {
  id: number;
  dag_run_id: number;
  task_id: string;
  state: TaskState;
  try_number: number;
  end_date: Date | null;
  deadline_at: Date | null;
  deadline_missed_at: Date | null;
}

/** The task instances of these runs, for the grid (one indexed read). */
export async function gridCells(db: Db, dagRunIds: readonly number[]): Promise<GridCellRow[]> {
  if (!dagRunIds.length) return [];
  const r = await db.raw<{ rows: GridCellRow[] }>(
    "SELECT id, dag_run_id, task_id, state, try_number, end_date, deadline_at, deadline_missed_at FROM task_instances WHERE dag_run_id = ANY(?::bigint[])",
    [[...dagRunIds]],
  );
  return r.rows;
}

/** A task_attempts row. */
export interface AttemptRow {
  try_number: number;
  state: string;
  worker: string | null;
  queued_at: Date | null;
  start_date: Date;
  end_date: Date | null;
  error: string | null;
  error_code: string | null;
  /** Set when a canceled in-process body was still running after the worker's grace (migration 0015). */
  abort_ignored_at: Date | null;
}

/** Attempts of a task instance, oldest first. */
export async function listAttempts(db: Db, taskInstanceId: number): Promise<AttemptRow[]> {
  return db("task_attempts")
    .select("try_number", "state", "worker", "queued_at", "start_date", "end_date", "error", "error_code", "abort_ignored_at")
    .where({ task_instance_id: taskInstanceId })
    .orderBy("try_number") as Promise<AttemptRow[]>;
}

/** A state change seen by the change feed. */
export interface RunChange {
  id: number;
  dag_id: string;
  run_id: string;
  state: RunState;
  updated_at: Date;
  /** A missed deadline changes no state; the feed tells it apart by this (store/deadlines.ts). */
  deadline_missed_at: Date | null;
}

/** A task instance change seen by the change feed. */
export interface TaskChange {
  id: number;
  dag_run_id: number;
  dag_id: string;
  task_id: string;
  state: TaskState;
  try_number: number;
  updated_at: Date;
  deadline_missed_at: Date | null;
}

/** Runs and task instances updated at or after `since` (the SSE feed polls this), oldest first. */
export async function changesSince(db: Db, since: Date, limit = 2000): Promise<{ runs: RunChange[]; tasks: TaskChange[]; now: Date }> {
  const now = ((await db.raw<{ rows: { now: Date }[] }>("SELECT clock_timestamp() AS now")).rows[0] as { now: Date }).now;
  const runs = await db<RunChange>("dag_runs").select("id", "dag_id", "run_id", "state", "updated_at", "deadline_missed_at").where("updated_at", ">=", since).orderBy("updated_at").limit(limit);
  const tasks = await db<TaskChange>("task_instances")
    .select("id", "dag_run_id", "dag_id", "task_id", "state", "try_number", "updated_at", "deadline_missed_at")
    .where("updated_at", ">=", since)
    .orderBy("updated_at")
    .limit(limit);
  return { runs, tasks, now };
}
