import type { Db } from "./db";
import { downstreamOfPartition, type DownstreamImpactResult, type ImpactedTaskInstance } from "./downstreamImpact";
import type { PartitionKey } from "./partitionWrites";
import { reprocessWaves } from "./reprocessWaves";
import { clearTaskInstances } from "./taskActions";
import type { ReadyDispatch } from "./taskInstances";

/** What a reprocess did (or, dry, would do); `state` is each task instance's state before. */
export interface ReprocessResult {
  /** Cleared now (the first wave). */
  cleared: ImpactedTaskInstance[];
  /** Impacted but queued/running (or otherwise not ended) now: left alone. */
  skipped: ImpactedTaskInstance[];
  /** In runs that read what earlier waves write: cleared by the scheduler once those runs succeeded. */
  waiting: ImpactedTaskInstance[];
  /** The stored reprocess that releases the later waves; null when there are none (or dry). */
  reprocessId: number | null;
  impact: DownstreamImpactResult;
}

/**
 * Clears every task instance in the downstream impact of a partition, run by run, through
 * `clearTaskInstances` (the run's lock, fenced updates, the run reopened, ready ones queued) with
 * exactly the impacted task ids and no further downstream selection: the impact already holds the
 * in-run downstream. Runs are ordered in waves (`reprocessWaves`): a run that reads what another
 * impacted run writes is cleared only after that run has succeeded again, by the scheduler
 * (`advanceReprocesses`), so a downstream DAG never recomputes from the stale partition. The
 * first wave is cleared here. Task instances that have not ended are left alone and reported as
 * skipped; pending ones are in neither list (they have yet to run). `dispatch` admits and pushes what became ready.
 */
export async function reprocessPartition(
  db: Db,
  root: PartitionKey,
  opts: { dryRun: boolean; requestedBy: string },
  dispatch: ReadyDispatch,
): Promise<ReprocessResult> {
  const impact = await downstreamOfPartition(db, root);
  const waves = await reprocessWaves(db, impact.tasks);
  const byRun = new Map<number, ImpactedTaskInstance[]>();
  for (const t of impact.tasks) byRun.set(t.dagRunId, [...(byRun.get(t.dagRunId) ?? []), t]);
  const cleared: ImpactedTaskInstance[] = [];
  const skipped: ImpactedTaskInstance[] = [];
  const waiting: ImpactedTaskInstance[] = [];
  for (const [dagRunId, tasks] of byRun) {
    if ((waves.get(dagRunId) ?? 0) > 0) {
      waiting.push(...tasks);
      continue;
    }
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const result = await clearTaskInstances(db, dagRunId, { taskIds: tasks.map((t) => t.taskId), downstream: false, dryRun: opts.dryRun }, dispatch);
    if (!opts.dryRun) await dispatch.dispatch(result);
    for (const ref of result.cleared) {
      const t = byId.get(ref.id);
      if (t) cleared.push({ ...t, state: ref.state, tryNumber: ref.tryNumber });
    }
    for (const ref of result.skipped) {
      const t = byId.get(ref.id);
      if (t) skipped.push({ ...t, state: ref.state, tryNumber: ref.tryNumber });
    }
  }
  const reprocessId = opts.dryRun || waiting.length === 0 ? null : await storeWaves(db, root, opts.requestedBy, byRun, waves);
  return { cleared, skipped, waiting, reprocessId, impact };
}

/** Stores the reprocess with every run and its wave; the first wave is already released (cleared above). */
async function storeWaves(db: Db, root: PartitionKey, requestedBy: string, byRun: Map<number, ImpactedTaskInstance[]>, waves: Map<number, number>): Promise<number> {
  return db.transaction(async (trx) => {
    const [row] = await trx("reprocesses").insert({ uri: root.uri, partition: root.partition, requested_by: requestedBy, state: "running" }).returning<Array<{ id: number }>>("id");
    const id = Number(row!.id);
    await trx("reprocess_runs").insert(
      [...byRun].map(([dagRunId, tasks]) => {
        const wave = waves.get(dagRunId) ?? 0;
        return { reprocess_id: id, dag_run_id: dagRunId, wave, task_ids: tasks.map((t) => t.taskId), released_at: wave === 0 ? trx.fn.now() : null };
      }),
    );
    return id;
  });
}
