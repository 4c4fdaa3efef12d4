/**
 * Runnel inter-task latency: runs of bench_chain (50 no-op tasks in a line), one at a time. For
 * each consecutive pair, from Postgres (all set with clock_timestamp()):
 *   latency      = downstream.start_date - upstream.end_date
 *   inTxn        = downstream.queued_at  - upstream.end_date   (rest of finishTry up to fast-follow UPDATE)
 *   handoff      = downstream.start_date - downstream.queued_at (COMMIT, addBulk, BullMQ pickup, claim)
 * and per task: busy = end_date - start_date (claim -> context -> run -> finishTry's UPDATE).
 */
import type { RunnelHarness } from "./runnelHarness";

export interface RunnelChain {
  runs: number;
  latencyMs: number[];
  inTxnMs: number[];
  handoffMs: number[];
  busyMs: number[];
  /** Whole run, first task start -> last task end, divided by the chain length. */
  cycleMsPerTask: number[];
  nonSuccessRuns: number;
}

export async function runnelChain(h: RunnelHarness, runs: number, label: string, timeoutMs = 60_000): Promise<RunnelChain> {
  const ids: number[] = [];
  let nonSuccessRuns = 0;
  for (let i = 0; i < runs; i++) {
    const [id] = await h.trigger("bench_chain", 1, `${label}${i}`);
    if (id === undefined) throw new Error("trigger returned no run");
    ids.push(id);
    const outcome = await h.waitForRuns([id], timeoutMs, 25);
    if ((outcome.states.success ?? 0) !== 1) nonSuccessRuns++;
  }
  const pairs = (
    await h.rt.db.raw<{ rows: { latency: string; in_txn: string; handoff: string }[] }>(
      `SELECT extract(epoch FROM (d.start_date - u.end_date)) * 1000 AS latency,
              extract(epoch FROM (d.queued_at - u.end_date)) * 1000 AS in_txn,
              extract(epoch FROM (d.start_date - d.queued_at)) * 1000 AS handoff
       FROM task_instances d
       JOIN task_instances u ON u.dag_run_id = d.dag_run_id AND u.task_id = d.upstream_task_ids[1]
       WHERE d.dag_run_id = ANY(?::bigint[]) AND d.state = 'success' AND u.state = 'success'`,
      [ids],
    )
  ).rows;
  const perTask = (
    await h.rt.db.raw<{ rows: { busy: string }[] }>(
      `SELECT extract(epoch FROM (end_date - start_date)) * 1000 AS busy FROM task_instances WHERE dag_run_id = ANY(?::bigint[]) AND state = 'success'`,
      [ids],
    )
  ).rows;
  const cycles = (
    await h.rt.db.raw<{ rows: { per_task: string }[] }>(
      `SELECT extract(epoch FROM (max(end_date) - min(start_date))) * 1000 / count(*) AS per_task FROM task_instances WHERE dag_run_id = ANY(?::bigint[]) GROUP BY dag_run_id`,
      [ids],
    )
  ).rows;
  return {
    runs,
    latencyMs: pairs.map((p) => Number(p.latency)),
    inTxnMs: pairs.map((p) => Number(p.in_txn)),
    handoffMs: pairs.map((p) => Number(p.handoff)),
    busyMs: perTask.map((p) => Number(p.busy)),
    cycleMsPerTask: cycles.map((c) => Number(c.per_task)),
    nonSuccessRuns,
  };
}
