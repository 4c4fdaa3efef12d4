import { AlertEvent } from "../model/alerts";
import { ACTIVE_RUN_STATES, RunType, UNFINISHED_TASK_STATES, sqlList } from "../model/states";
import type { Db } from "./db";
import { withConn } from "./pgConn";

/**
 * Missed deadlines (issue 10 item 4): a run's `deadline` (dag_runs.deadline_at, set at creation)
 * and a task's `expectedDuration` (task_instances.deadline_at, set when its first try starts).
 * The leading scheduler calls these every tick with its own clock; each is ONE statement that
 * marks the late rows (`deadline_missed_at`) and writes their `deadline_missed` events, so an
 * event and its mark commit together and a row is never reported twice.
 *
 * The state lists below are inlined as literals (not parameters) so the planner can prove the
 * partial indexes' predicates (dag_runs_deadline_idx, task_instances_deadline_idx, migration
 * 0017): a check reads only the few rows that still wait for their deadline, never all runs.
 */

/** How a kind of row is reported (`details.kind` of the event, label `kind` of runnel_deadline_misses_total). */
export const DeadlineKind = { run: "run", task: "task" } as const;
export type DeadlineKind = (typeof DeadlineKind)[keyof typeof DeadlineKind];

/** Missed deadlines found by one check, per DAG. */
export interface DeadlineMisses {
  dagId: string;
  kind: DeadlineKind;
  count: number;
}

/** Rows marked per statement at most; the rest are found on the next tick. */
export const DEADLINE_BATCH = 500;

const RUN_STATES_SQL = sqlList([...ACTIVE_RUN_STATES]);
const TASK_STATES_SQL = sqlList([...UNFINISHED_TASK_STATES]);

/** "450ms", "3s", "12m 3s", "2h 5m", "3d 4h" for a bigint millisecond expression (SQL). */
export function durationTextSql(ms: string): string {
  return `(CASE WHEN ${ms} < 1000 THEN ${ms} || 'ms'
     WHEN ${ms} < 60000 THEN (${ms} / 1000) || 's'
     WHEN ${ms} < 3600000 THEN (${ms} / 60000) || 'm ' || (${ms} % 60000 / 1000) || 's'
     WHEN ${ms} < 86400000 THEN (${ms} / 3600000) || 'h ' || (${ms} % 3600000 / 60000) || 'm'
     ELSE (${ms} / 86400000) || 'd ' || (${ms} % 86400000 / 3600000) || 'h' END)`;
}

/** ISO 8601 UTC text of a timestamptz expression, as JavaScript's toISOString (SQL). */
const isoSql = (ts: string): string => `to_char(${ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The same without milliseconds, for messages (SQL). */
const isoSecondsSql = (ts: string): string => `to_char(${ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
/** Milliseconds from `from` to `to`, each truncated to the millisecond as JavaScript dates are (SQL, bigint). */
const msBetweenSql = (from: string, to: string): string => `(floor(extract(epoch FROM ${to}) * 1000) - floor(extract(epoch FROM ${from}) * 1000))::bigint`;

/**
 * $1 = the checking scheduler's now, $2 = batch size. Runs of `dags test` never get a deadline
 * (store/runs.createRunOn), and are excluded here all the same. `from`/`withinMs` come from the
 * run's own graph version. Rows are picked through the partial index and locked with SKIP LOCKED
 * (a run a worker is finishing right now is seen next tick, and the leader never waits on one);
 * the update and the lookups go by primary key (`= ANY(ARRAY(...))`, `LATERAL ... LIMIT 1`) so
 * the plan stays index-only whatever the planner guesses about how many rows are late.
 */
export const MARK_RUN_DEADLINES_SQL = `WITH missed AS (
   UPDATE dag_runs r SET deadline_missed_at = $1, updated_at = clock_timestamp()
    WHERE r.id = ANY(ARRAY(
      SELECT d.id FROM dag_runs d
       WHERE d.deadline_at <= $1 AND d.deadline_at IS NOT NULL AND d.deadline_missed_at IS NULL AND d.state IN (${RUN_STATES_SQL})
         AND d.run_type <> '${RunType.test}'
       ORDER BY d.deadline_at LIMIT $2
       FOR UPDATE SKIP LOCKED))
   RETURNING r.id, r.dag_id, r.run_id, r.logical_date, r.deadline_at, r.dag_version_id, ${msBetweenSql("r.deadline_at", "$1::timestamptz")} AS late_ms),
 ev AS (
   INSERT INTO alert_events (event, dag_id, dag_run_id, run_id, logical_date, error, details)
   SELECT '${AlertEvent.deadline_missed}', m.dag_id, m.id, m.run_id, m.logical_date,
          'run not finished ' || ${durationTextSql("m.late_ms")} || ' after its deadline (' || ${isoSecondsSql("m.deadline_at")} || ')',
          jsonb_build_object('kind', '${DeadlineKind.run}', 'deadlineAt', ${isoSql("m.deadline_at")}, 'lateMs', m.late_ms,
                             'from', v.deadline #>> '{from}', 'withinMs', (v.deadline #>> '{withinMs}')::bigint)
     FROM missed m
     LEFT JOIN LATERAL (SELECT graph -> 'deadline' AS deadline FROM dag_versions WHERE id = m.dag_version_id LIMIT 1) v ON true
   RETURNING dag_id)
 SELECT dag_id, count(*)::int AS n FROM ev GROUP BY dag_id`;

/**
 * $1 = now, $2 = batch size. A task instance of a test run is marked (so it leaves the index)
 * but writes no event. `try_number` is the try running (or due) when the deadline passed.
 */
export const MARK_TASK_DEADLINES_SQL = `WITH missed AS (
   UPDATE task_instances t SET deadline_missed_at = $1, updated_at = clock_timestamp()
    WHERE t.id = ANY(ARRAY(
      SELECT d.id FROM task_instances d
       WHERE d.deadline_at <= $1 AND d.deadline_at IS NOT NULL AND d.deadline_missed_at IS NULL AND d.state IN (${TASK_STATES_SQL})
       ORDER BY d.deadline_at LIMIT $2
       FOR UPDATE SKIP LOCKED))
   RETURNING t.id, t.dag_run_id, t.dag_id, t.task_id, t.try_number, t.deadline_at, t.expected_duration_ms,
             ${msBetweenSql("t.deadline_at", "$1::timestamptz")} AS late_ms),
 ev AS (
   INSERT INTO alert_events (event, dag_id, dag_run_id, run_id, logical_date, task_instance_id, task_id, try_number, error, details)
   SELECT '${AlertEvent.deadline_missed}', m.dag_id, m.dag_run_id, r.run_id, r.logical_date, m.id, m.task_id, m.try_number,
          'task ' || m.task_id || ' not finished ' || ${durationTextSql("m.late_ms")} || ' after its deadline (' || ${isoSecondsSql("m.deadline_at")}
            || ', expected duration ' || ${durationTextSql("m.expected_duration_ms")} || ')',
          jsonb_build_object('kind', '${DeadlineKind.task}', 'deadlineAt', ${isoSql("m.deadline_at")}, 'lateMs', m.late_ms, 'expectedDurationMs', m.expected_duration_ms)
     FROM missed m
     CROSS JOIN LATERAL (SELECT run_id, logical_date, run_type FROM dag_runs WHERE id = m.dag_run_id LIMIT 1) r
    WHERE r.run_type <> '${RunType.test}'
   RETURNING dag_id)
 SELECT dag_id, count(*)::int AS n FROM ev GROUP BY dag_id`;

/**
 * Marks every run and task instance whose deadline is at or before `now` and that is still
 * unfinished, writing one `deadline_missed` event each (two statements, each atomic on its own).
 * Rows locked by a concurrent completion are skipped and seen on the next call; at most
 * `batch` rows of each kind per call.
 * @returns the events written, per DAG and kind (empty when nothing was late).
 */
export async function markMissedDeadlines(db: Db, now: Date, batch = DEADLINE_BATCH): Promise<DeadlineMisses[]> {
  return withConn(db, async (conn) => {
    const out: DeadlineMisses[] = [];
    for (const [kind, sql] of [
      [DeadlineKind.run, MARK_RUN_DEADLINES_SQL],
      [DeadlineKind.task, MARK_TASK_DEADLINES_SQL],
    ] as const) {
      const r = await conn.query<{ dag_id: string; n: number }>(sql, [now, batch]);
      for (const row of r.rows) out.push({ dagId: row.dag_id, kind, count: row.n });
    }
    return out;
  });
}
