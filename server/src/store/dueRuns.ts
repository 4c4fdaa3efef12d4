import { ACTIVE_RUN_STATES, RunType, sqlList } from "../model/states";
import type { SerializedDag } from "../model/graph";
import type { Db } from "./db";
import type { PgConn } from "./pgConn";

/** A DAG the leader must look at now: a scheduled interval may have closed and it has room for a run. */
export interface DueDag {
  dagId: string;
  /** Its queued or running runs that take a scheduled run's room (not backfill, not `dags test`). */
  activeRuns: number;
  /** The latest logical date of its scheduled runs, or null when it has none. */
  lastLogicalDate: Date | null;
}

const ACTIVE_SQL = sqlList([...ACTIVE_RUN_STATES]);

/**
 * One statement, whatever the number of DAGs: every active, unpaused DAG whose stored next-run
 * time (`next_dagrun_create_after`) has come by `now` and which has room under its
 * maxActiveRuns (backfill and test runs do not count). Idle DAGs are skipped by the index on the
 * stored time; only the due ones get their runs counted and their latest logical date read.
 */
export async function findDueDags(db: Db, now: Date): Promise<DueDag[]> {
  const r = await db.raw<{ rows: { dag_id: string; active_runs: number; last_logical_date: Date | null }[] }>(
    `SELECT d.dag_id, a.n AS active_runs, l.last AS last_logical_date
       FROM dags d
       CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM dag_runs r
                            WHERE r.dag_id = d.dag_id AND r.state IN (${ACTIVE_SQL})
                              AND r.run_type NOT IN ('${RunType.backfill}', '${RunType.test}')) a
       CROSS JOIN LATERAL (SELECT max(r.logical_date) AS last FROM dag_runs r
                            WHERE r.dag_id = d.dag_id AND r.run_type = '${RunType.scheduled}') l
      WHERE d.is_active AND NOT d.is_paused AND d.next_dagrun_create_after <= ?
        AND a.n < d.max_active_runs
      ORDER BY d.dag_id`,
    [now],
  );
  return r.rows.map((row) => ({ dagId: row.dag_id, activeRuns: row.active_runs, lastLogicalDate: row.last_logical_date }));
}

/**
 * Stores the DAG's next-run time (in the caller's transaction, with the runs it created), only
 * while its stored schedule is still the one the time was computed for: a reload that changed
 * the schedule meanwhile has reset the time to "due now", and that must stand.
 */
export async function setNextRunTime(conn: PgConn, dagId: string, scheduleKey: string, next: Date | null): Promise<void> {
  await conn.query("UPDATE dags SET next_dagrun_create_after = $2 WHERE dag_id = $1 AND schedule_key = $3", [dagId, next, scheduleKey]);
}

/**
 * What a stored next-run time depends on: the schedule, its timezone, start and end dates and
 * catchup. Null for a DAG without a time-based schedule (manual-only, dataset-scheduled).
 */
export function scheduleKeyOf(dag: Pick<SerializedDag, "schedule" | "timezone" | "startDate" | "endDate" | "catchup">): string | null {
  if (typeof dag.schedule !== "string") return null;
  return JSON.stringify([dag.schedule, dag.timezone, dag.startDate, dag.endDate, dag.catchup]);
}
