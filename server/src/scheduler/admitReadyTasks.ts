import type { Db } from "../store/db";
import { dagsWithQueuedRuns, finalizeRunIfDone, startQueuedRuns, type EndedRun } from "../store/runs";
import { withConn } from "../store/pgConn";
import { emptyResolveResult, resolvePending } from "../store/taskInstances";
import type { TaskDispatch } from "./taskDispatch";

export interface AdmissionDeps {
  db: Db;
  /** The one admission-and-dispatch path: DAG caps, priority, push. */
  dispatch: Pick<TaskDispatch, "limits" | "queueReady" | "enqueue" | "admitScheduled">;
  /** Hears each run this pass ended (the runs_total metric). */
  onRunEnded?: (run: EndedRun) => void;
}

export interface AdmissionResult {
  startedRuns: number;
  queued: number;
  finishedRuns: number;
}

/**
 * One admission pass: start queued runs within maxActiveRuns, apply trigger rules to pending
 * task instances of running runs (ready ones of an uncapped DAG straight to queued and pushed),
 * move scheduled ones to queued (SKIP LOCKED, maxActiveTasks, priority) and push them to BullMQ
 * in one addBulk, then end the runs this pass finished
 * (a run ended by skips or upstream failures decided here).
 */
export async function admitReadyTasks(deps: AdmissionDeps, options: { sweepAll?: boolean; batch?: number } = {}): Promise<AdmissionResult> {
  const { sweepAll = false, batch = 1000 } = options;
  const started: number[] = [];
  for (const dagId of await dagsWithQueuedRuns(deps.db)) {
    const limits = deps.dispatch.limits(dagId);
    if (limits) started.push(...(await startQueuedRuns(deps.db, dagId, limits.maxActiveRuns)));
  }
  // Completions judge their own downstream (fast follow), so a tick only needs to look at the
  // runs it just started (their roots) unless asked to sweep every running run (the reconciler
  // does, to repair anything a crash left behind).
  const scope = sweepAll ? ({ kind: "allRunning", limit: batch * 5 } as const) : ({ kind: "runs", dagRunIds: started } as const);
  // Ready work of an uncapped DAG is queued by the same statement and pushed before the capped
  // admission runs, so a triggered run's roots start without waiting for it (wake, don't wait).
  const resolved = started.length || sweepAll ? await withConn(deps.db, (conn) => resolvePending(conn, scope, (dagId) => deps.dispatch.queueReady(dagId))) : emptyResolveResult();
  if (resolved.queued.length) await deps.dispatch.enqueue(resolved.queued);
  const queued = await deps.dispatch.admitScheduled(batch);
  let finishedRuns = 0;
  if (resolved.touchedRuns.size) {
    await withConn(deps.db, async (conn) => {
      for (const runId of resolved.touchedRuns) {
        const ended = await finalizeRunIfDone(conn, runId);
        if (!ended) continue;
        finishedRuns++;
        deps.onRunEnded?.(ended);
      }
    });
  }
  return { startedRuns: started.length, queued: resolved.queued.length + queued.length, finishedRuns };
}
