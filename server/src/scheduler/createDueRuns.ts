import type { LoadedDag } from "../dags/dagFolder";
import type { Logger } from "../obs/logger";
import { dueIntervals, runIdFor } from "../schedule/index";
import type { Db } from "../store/db";
import { countActiveRuns, createRun, latestScheduledLogicalDate } from "../store/runs";

export interface RunCreationDeps {
  db: Db;
  dags: { list(): LoadedDag[]; versionId(dagId: string): number | undefined };
  log: Logger;
  /** The DAGs runs may be created for now (active, not paused): `runnableDagIds`, read once per tick. */
  runnable: ReadonlySet<string>;
}

/**
 * Creates the scheduled runs whose data intervals have closed, for every active, unpaused DAG
 * with a schedule: all missed intervals with catchup (oldest first, at most as many as
 * `maxActiveRuns` leaves room for), only the latest without. Duplicates are impossible: the
 * unique (dag_id, logical_date) index turns a second insert into a no-op.
 * @returns how many runs were created.
 */
export async function createDueRuns(deps: RunCreationDeps, now: Date): Promise<number> {
  let created = 0;
  for (const loaded of deps.dags.list()) {
    const dagId = loaded.serialized.dagId;
    const versionId = deps.dags.versionId(dagId);
    if (!deps.runnable.has(dagId) || versionId === undefined || loaded.schedule.cron === null) continue;
    // Backfill runs do not count: fresh scheduled runs keep their room (see startQueuedRuns).
    const room = loaded.serialized.maxActiveRuns - (await countActiveRuns(deps.db, dagId, { excludeBackfill: true }));
    if (room <= 0) continue;
    const last = await latestScheduledLogicalDate(deps.db, dagId);
    for (const interval of dueIntervals(loaded.schedule, { lastLogicalDate: last, now, limit: room })) {
      const id = await createRun(deps.db, {
        dagId,
        runId: runIdFor("scheduled", interval.start),
        runType: "scheduled",
        logicalDate: interval.start,
        dataIntervalStart: interval.start,
        dataIntervalEnd: interval.end,
        versionId,
        graph: loaded.serialized,
      });
      if (id !== null) {
        created++;
        deps.log.info({ dagId, logicalDate: interval.start.toISOString(), dagRunId: id }, "created scheduled run");
      }
    }
  }
  return created;
}
