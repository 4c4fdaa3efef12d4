import type { LoadedDag } from "../dags/dagFolder";
import { jobIdForRow, pokeOfRow, type BullDispatcher } from "../executor/dispatcher";
import { settleLostTry, type SettleDeps } from "../executor/settleFailure";
import { withConn } from "../store/pgConn";
import { finalizeRunIfDone, runningRunsWithNothingOpen, type EndedRun } from "../store/runs";

export interface ReconcileDeps extends SettleDeps {
  /** BullMQ itself: which jobs it will still deliver, and removing dead ones. Re-enqueues go through `dispatch` like all other work. */
  dispatcher: Pick<BullDispatcher, "missingJobIds" | "removeJobs">;
  dags: { get(dagId: string): LoadedDag | undefined };
  /** A running try without a heartbeat for this long is a zombie. */
  zombieTimeoutMs: number;
  /** Queued work younger than this is left alone (its enqueue may be in flight). */
  graceMs: number;
  /** Hears each run the reconciler ended (the runs_total metric). */
  onRunEnded?: (run: EndedRun) => void;
}

export interface ReconcileResult {
  reenqueued: number;
  zombies: number;
  finishedRuns: number;
}

interface DispatchedRow {
  id: number;
  try_number: number;
  dag_id: string;
  task_id: string;
  queue_priority: number;
  priority_weight: number;
  next_try_at: Date | null;
  state: string;
  sensor_pokes: number;
}

/**
 * Repairs the gap between Postgres (the truth) and Redis (a dispatch cache): re-enqueues
 * queued and due up_for_retry / up_for_reschedule tries that BullMQ will not deliver (no job:
 * Redis flushed or restarted, a crash between commit and enqueue; or a job that already
 * completed or failed, e.g. a claim that met a database outage on older workers), settles
 * zombies (running, no heartbeat) as lost tries,
 * and ends runs whose last task finished without ending the run.
 */
export async function reconcile(deps: ReconcileDeps, batch = 2000): Promise<ReconcileResult> {
  const rows = (
    await deps.db.raw<{ rows: DispatchedRow[] }>(
      `SELECT id, try_number, dag_id, task_id, queue_priority, priority_weight, next_try_at, state, sensor_pokes FROM task_instances
       WHERE ((state = 'queued' AND queued_at < clock_timestamp() - (? * interval '1 millisecond'))
          OR (state IN ('up_for_retry','up_for_reschedule') AND next_try_at < clock_timestamp() - (? * interval '1 millisecond')))
         -- A "dags test" run is executed by the CLI process that created it, not by workers.
         AND NOT EXISTS (SELECT 1 FROM dag_runs r WHERE r.id = task_instances.dag_run_id AND r.run_type = 'test')
       ORDER BY id LIMIT ?`,
      [deps.graceMs, deps.graceMs, batch],
    )
  ).rows;
  // A rescheduled sensor waits for its next poke's job (ti:<id>:<try>p<n>), not the try's first.
  const missing = await deps.dispatcher.missingJobIds(rows.map((r) => jobIdForRow(r)));
  const lost = rows.filter((r) => missing.has(jobIdForRow(r)));
  // A completed or failed job under the id would make the re-add a no-op: remove it first. Safe
  // even for a job that completed a moment ago: the claim refuses a try Postgres says is finished.
  await deps.dispatcher.removeJobs(missing);
  await deps.dispatch.dispatch({
    queued: lost.map((r) => ({ id: r.id, tryNumber: r.try_number, dagId: r.dag_id, queuePriority: r.queue_priority, priorityWeight: r.priority_weight, poke: pokeOfRow(r) })),
  });
  if (lost.length) deps.log.warn({ count: lost.length }, "re-enqueued tries that BullMQ no longer held");

  const zombies = (
    await deps.db.raw<{ rows: { id: number; try_number: number; dag_id: string; task_id: string }[] }>(
      `SELECT id, try_number, dag_id, task_id FROM task_instances
       WHERE state = 'running' AND heartbeat_at < clock_timestamp() - (? * interval '1 millisecond') LIMIT ?`,
      [deps.zombieTimeoutMs, batch],
    )
  ).rows;
  for (const z of zombies) {
    const task = deps.dags.get(z.dag_id)?.serialized.tasks.find((t) => t.id === z.task_id);
    await settleLostTry(deps, z.id, z.try_number, `worker lost: no heartbeat for ${Math.round(deps.zombieTimeoutMs / 1000)}s (zombie)`, task);
  }
  if (zombies.length) deps.log.warn({ count: zombies.length }, "settled zombie tries");

  let finishedRuns = 0;
  const stuck = await runningRunsWithNothingOpen(deps.db);
  if (stuck.length) {
    await withConn(deps.db, async (conn) => {
      for (const runId of stuck) {
        const ended = await finalizeRunIfDone(conn, runId);
        if (!ended) continue;
        finishedRuns++;
        deps.onRunEnded?.(ended);
      }
    });
  }
  return { reenqueued: lost.length, zombies: zombies.length, finishedRuns };
}
