import type { Logger } from "../obs/logger";
import { ReprocessState, RunState } from "../model/states";
import type { Db } from "../store/db";
import type { ReadyDispatch } from "../store/taskInstances";
import { clearTaskInstances } from "../store/taskActions";

export interface ReprocessDeps {
  db: Db;
  dispatch: ReadyDispatch;
  log: Logger;
}

interface WaveRun {
  dag_run_id: number;
  wave: number;
  task_ids: string[];
  released_at: Date | null;
  state: RunState;
}

/**
 * Releases the next wave of each running reprocess (see `reprocessPartition`) once every run of
 * the waves before it has succeeded: clears exactly its impacted task instances and queues what
 * became ready. A released run that fails ends the reprocess as failed (later waves would read
 * what it failed to rewrite); one with every run released and succeeded is completed. Leader only.
 * @returns how many runs were released.
 */
export async function advanceReprocesses(deps: ReprocessDeps): Promise<number> {
  let released = 0;
  const ids: Array<number | string> = await deps.db("reprocesses").where({ state: ReprocessState.running }).orderBy("id").pluck("id");
  for (const id of ids) released += await advanceOne(deps, Number(id));
  return released;
}

async function advanceOne(deps: ReprocessDeps, id: number): Promise<number> {
  const runs: WaveRun[] = await deps.db("reprocess_runs as w")
    .join("dag_runs as r", "r.id", "w.dag_run_id")
    .where("w.reprocess_id", id)
    .orderBy(["w.wave", "w.dag_run_id"])
    .select("w.dag_run_id", "w.wave", "w.task_ids", "w.released_at", "r.state");
  const released = runs.filter((r) => r.released_at !== null);
  const failed = released.find((r) => r.state === RunState.failed || r.state === RunState.canceled);
  if (failed) return finish(deps, id, ReprocessState.failed, `run ${failed.dag_run_id} ended ${failed.state}; later waves were not released`);
  const waiting = runs.filter((r) => r.released_at === null);
  if (waiting.length === 0) {
    return released.every((r) => r.state === RunState.success) ? finish(deps, id, ReprocessState.completed, null) : 0;
  }
  const next = waiting[0]!.wave;
  if (!released.filter((r) => r.wave < next).every((r) => r.state === RunState.success)) return 0;
  let count = 0;
  for (const run of waiting.filter((r) => r.wave === next)) {
    const result = await clearTaskInstances(deps.db, Number(run.dag_run_id), { taskIds: run.task_ids, downstream: false, dryRun: false }, deps.dispatch);
    await deps.dispatch.dispatch(result);
    await deps.db("reprocess_runs").where({ reprocess_id: id, dag_run_id: run.dag_run_id }).update({ released_at: deps.db.fn.now() });
    deps.log.info({ reprocessId: id, dagRunId: run.dag_run_id, wave: next, cleared: result.cleared.length }, "reprocess released a wave");
    count++;
  }
  return count;
}

async function finish(deps: ReprocessDeps, id: number, state: ReprocessState, message: string | null): Promise<number> {
  await deps.db("reprocesses").where({ id, state: ReprocessState.running }).update({ state, message, finished_at: deps.db.fn.now() });
  deps.log.info({ reprocessId: id, state, message }, "reprocess ended");
  return 0;
}
