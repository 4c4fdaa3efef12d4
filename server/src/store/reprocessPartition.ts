import type { Db } from "./db";
import { downstreamOfPartition, type DownstreamImpactResult, type ImpactedTaskInstance } from "./downstreamImpact";
import type { PartitionKey } from "./partitionWrites";
import { clearTaskInstances } from "./taskActions";
import type { QueuedTask } from "./taskInstances";

/** What a reprocess did (or, dry, would do); `state` is each task instance's state before. */
export interface ReprocessResult {
  cleared: ImpactedTaskInstance[];
  /** Impacted but queued/running (or otherwise not ended) now: left alone. */
  skipped: ImpactedTaskInstance[];
  impact: DownstreamImpactResult;
}

/**
 * Clears every task instance in the downstream impact of a partition, run by run, through
 * `clearTaskInstances` (the run's lock, fenced updates, the run reopened, ready ones queued) with
 * exactly the impacted task ids and no further downstream selection: the impact already holds the
 * in-run downstream. Task instances that have not ended are left alone and reported as skipped;
 * pending ones are in neither list (they have yet to run). `enqueue` pushes what became ready.
 * Runs are cleared one after another: nothing orders a downstream DAG's rerun after an upstream
 * DAG's, beyond what its own sensors or schedule do.
 */
export async function reprocessPartition(db: Db, root: PartitionKey, dryRun: boolean, enqueue: (queued: QueuedTask[]) => Promise<void>): Promise<ReprocessResult> {
  const impact = await downstreamOfPartition(db, root);
  const byRun = new Map<number, ImpactedTaskInstance[]>();
  for (const t of impact.tasks) byRun.set(t.dagRunId, [...(byRun.get(t.dagRunId) ?? []), t]);
  const cleared: ImpactedTaskInstance[] = [];
  const skipped: ImpactedTaskInstance[] = [];
  for (const [dagRunId, tasks] of byRun) {
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const result = await clearTaskInstances(db, dagRunId, { taskIds: tasks.map((t) => t.taskId), downstream: false, dryRun });
    if (!dryRun) await enqueue(result.queued);
    for (const ref of result.cleared) {
      const t = byId.get(ref.id);
      if (t) cleared.push({ ...t, state: ref.state, tryNumber: ref.tryNumber });
    }
    for (const ref of result.skipped) {
      const t = byId.get(ref.id);
      if (t) skipped.push({ ...t, state: ref.state, tryNumber: ref.tryNumber });
    }
  }
  return { cleared, skipped, impact };
}
