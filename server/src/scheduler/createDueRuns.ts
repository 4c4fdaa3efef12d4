import type { LoadedDag } from "../dags/dagFolder";
import type { Logger } from "../obs/logger";
import { dueIntervals, nextInterval, runIdFor, type CompiledSchedule, type DataInterval } from "../schedule/index";
import type { Db } from "../store/db";
import { findDueDags, scheduleKeyOf, setNextRunTime } from "../store/dueRuns";
import { withTx } from "../store/pgConn";
import { createRunOn } from "../store/runs";

/** What run creation needs: the database, the loaded DAGs and a logger. */
export interface DueRunDeps {
  db: Db;
  dags: { get(dagId: string): LoadedDag | undefined; list(): LoadedDag[]; versionId(dagId: string): number | undefined };
  log: Logger;
}

export interface RunCreationDeps extends DueRunDeps {
  /** The DAGs runs may be created for now (active, not paused): `runnableDagIds`, read once per tick. */
  runnable: ReadonlySet<string>;
}

/**
 * When the DAG's next scheduled run can be created, given the latest logical date it has a
 * scheduled run for: the end of the next interval (a run is due once its interval has closed),
 * or null when no interval is left (past endDate, `@once` done, manual-only).
 */
export function nextRunTime(schedule: CompiledSchedule, lastLogicalDate: Date | null): Date | null {
  if (schedule.cron === null) return null;
  return nextInterval(schedule, lastLogicalDate)?.end ?? null;
}

/**
 * Creates the scheduled runs whose data intervals have closed, with a constant number of
 * statements when nothing is due: one statement (`findDueDags`) finds every active, unpaused DAG
 * whose stored next-run time has come and that has room under maxActiveRuns (backfill runs do not
 * count); only those are looked at. For each, all missed intervals with catchup (oldest first, at
 * most as many as the room allows), only the latest without; the runs and the DAG's next-run
 * time are written in one transaction. Duplicates are impossible: the unique (dag_id,
 * logical_date) index turns a second insert into a no-op. Only the leader calls this.
 * @returns how many runs were created.
 */
export async function createDueRuns(deps: DueRunDeps, now: Date): Promise<number> {
  let created = 0;
  for (const due of await findDueDags(deps.db, now)) {
    const loaded = deps.dags.get(due.dagId);
    const versionId = deps.dags.versionId(due.dagId);
    const key = loaded ? scheduleKeyOf(loaded.serialized) : null;
    // Not loaded here (yet): left due, so the leader acts once its own registry has the file.
    if (!loaded || versionId === undefined || key === null) continue;
    const room = loaded.serialized.maxActiveRuns - due.activeRuns;
    const intervals = room > 0 ? dueIntervals(loaded.schedule, { lastLogicalDate: due.lastLogicalDate, now, limit: room }) : [];
    const made = await withTx(deps.db, async (conn) => {
      const ids: Array<{ id: number; interval: DataInterval }> = [];
      for (const interval of intervals) {
        const id = await createRunOn(conn, {
          dagId: due.dagId,
          runId: runIdFor("scheduled", interval.start),
          runType: "scheduled",
          logicalDate: interval.start,
          dataIntervalStart: interval.start,
          dataIntervalEnd: interval.end,
          versionId,
          graph: loaded.serialized,
        });
        if (id !== null) ids.push({ id, interval });
      }
      const last = intervals.length ? laterOf(due.lastLogicalDate, intervals[intervals.length - 1]!.start) : due.lastLogicalDate;
      await setNextRunTime(conn, due.dagId, key, nextRunTime(loaded.schedule, last));
      return ids;
    });
    for (const { id, interval } of made) deps.log.info({ dagId: due.dagId, logicalDate: interval.start.toISOString(), dagRunId: id }, "created scheduled run");
    created += made.length;
  }
  return created;
}

function laterOf(a: Date | null, b: Date): Date {
  return a === null || b > a ? b : a;
}
