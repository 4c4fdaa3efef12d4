/**
 * Runnel no-op throughput: many runs of bench_fanout (start -> 8 parallel -> join) triggered
 * at once, measured end to end from the first trigger call to the last run's end (trigger,
 * run start, admission, dispatch, execution, fast follow, run finalization all included).
 */
import type { RunnelHarness } from "./runnelHarness";
import { summarize, type Summary } from "./stats";

export interface RunnelThroughput {
  runs: number;
  tasks: number;
  /** Time spent in the trigger calls. */
  triggerMs: number;
  /** First trigger call -> last run end_date (the headline). */
  endToEndMs: number;
  tasksPerSec: number;
  /** First task start_date -> last task end_date: execution only, no run creation/admission lead-in. */
  execWindowMs: number;
  execTasksPerSec: number;
  /** queued_at -> start_date of every task instance (time spent waiting in BullMQ for a worker slot). */
  queueWaitMs: Summary;
  nonSuccessRuns: number;
}

const num = (v: string | number | null): number => (v === null ? Number.NaN : Number(v));

export async function runnelThroughput(h: RunnelHarness, runs: number, label: string, timeoutMs = 120_000): Promise<RunnelThroughput> {
  const t0 = Date.now();
  const ids = await h.trigger("bench_fanout", runs, label);
  const triggerMs = Date.now() - t0;
  // The end time comes from dag_runs.end_date, so the poll period only bounds how long we wait, not the figure.
  const outcome = await h.waitForRuns(ids, timeoutMs, 50);
  const db = h.rt.db;
  const agg = (
    await db.raw<{ rows: { tasks: string; first_start: string | null; last_end: string | null; last_run_end: string | null }[] }>(
      `SELECT count(*) AS tasks,
              extract(epoch FROM min(ti.start_date)) * 1000 AS first_start,
              extract(epoch FROM max(ti.end_date)) * 1000 AS last_end,
              (SELECT extract(epoch FROM max(end_date)) * 1000 FROM dag_runs WHERE id = ANY(?::bigint[])) AS last_run_end
       FROM task_instances ti WHERE ti.dag_run_id = ANY(?::bigint[]) AND ti.state = 'success'`,
      [ids, ids],
    )
  ).rows[0];
  const waits = (
    await db.raw<{ rows: { w: string }[] }>(
      `SELECT extract(epoch FROM (start_date - queued_at)) * 1000 AS w FROM task_instances WHERE dag_run_id = ANY(?::bigint[]) AND start_date IS NOT NULL`,
      [ids],
    )
  ).rows.map((r) => Number(r.w));
  const tasks = num(agg?.tasks ?? null);
  const lastRunEnd = num(agg?.last_run_end ?? null);
  const endToEndMs = (Number.isFinite(lastRunEnd) ? lastRunEnd : outcome.seenDoneAt) - t0;
  const execWindowMs = num(agg?.last_end ?? null) - num(agg?.first_start ?? null);
  return {
    runs,
    tasks,
    triggerMs,
    endToEndMs,
    tasksPerSec: (tasks / endToEndMs) * 1000,
    execWindowMs,
    execTasksPerSec: (tasks / execWindowMs) * 1000,
    queueWaitMs: summarize(waits),
    nonSuccessRuns: runs - (outcome.states.success ?? 0),
  };
}
