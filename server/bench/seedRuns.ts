/**
 * Seeds many runs of one DAG straight into `dag_runs` and `task_instances` with two
 * `INSERT ... SELECT generate_series` statements (seconds for 10,000 runs x 20 tasks, where
 * triggering them one by one would take minutes). Used by the API scale bench and its test.
 *
 * The DAG must already be synced (a `dags` row with a latest version). Runs are scheduled runs
 * one hour apart from `start`; every 50th failed (its last task failed), the newest 3 running
 * (their second half pending), the rest success.
 */
import type { Db } from "../src/store/db";

/** What was seeded. */
export interface SeededRuns {
  dagId: string;
  runs: number;
  taskInstances: number;
  /** Runs in the state `failed` (every 50th). */
  failedRuns: number;
  ms: number;
}

/** Inserts `count` runs of `dagId` with one task instance per task of its latest version. */
export async function seedRuns(db: Db, dagId: string, count: number, start = new Date("2020-01-01T00:00:00Z")): Promise<SeededRuns> {
  const t0 = performance.now();
  const version = await db("dags as d")
    .join("dag_versions as v", "v.id", "d.latest_version_id")
    .where("d.dag_id", dagId)
    .first<{ id: number; graph: { tasks: { id: string; upstream: string[] }[] } } | undefined>("v.id", "v.graph");
  if (!version) throw new Error(`seedRuns: DAG ${dagId} is not synced`);
  const tasks = version.graph.tasks.map((t, ord) => ({ task_id: t.id, upstream: t.upstream, ord }));
  await db.raw(
    `INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, dag_version_id, start_date, end_date)
     SELECT ?, 'scheduled__' || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00', 'scheduled',
            CASE WHEN g >= ? - 3 THEN 'running' WHEN g % 50 = 49 THEN 'failed' ELSE 'success' END,
            ts, ts, ts + interval '1 hour', ?, ts + interval '1 hour', CASE WHEN g >= ? - 3 THEN NULL ELSE ts + interval '1 hour 2 minutes' END
     FROM generate_series(0, ? - 1) AS g, LATERAL (SELECT ?::timestamptz + g * interval '1 hour' AS ts) AS t`,
    [dagId, count, version.id, count, count, start],
  );
  const last = tasks.length - 1;
  await db.raw(
    `INSERT INTO task_instances (dag_run_id, dag_id, task_id, state, try_number, max_tries, trigger_rule, upstream_task_ids, start_date, end_date)
     SELECT r.id, r.dag_id, t.task_id,
            CASE WHEN r.state = 'running' THEN (CASE WHEN t.ord * 2 < ? THEN 'success' ELSE 'pending' END)
                 WHEN r.state = 'failed' AND t.ord = ? THEN 'failed'
                 ELSE 'success' END,
            CASE WHEN r.state = 'running' AND t.ord * 2 >= ? THEN 0 ELSE 1 END, 1, 'all_success', t.upstream, r.start_date, r.end_date
     FROM dag_runs r CROSS JOIN jsonb_to_recordset(?::jsonb) AS t(task_id text, upstream text[], ord integer)
     WHERE r.dag_id = ?`,
    [tasks.length, last, tasks.length, JSON.stringify(tasks), dagId],
  );
  await db.raw("ANALYZE dag_runs; ANALYZE task_instances");
  const counts = (
    await db.raw<{ rows: { runs: string; tis: string; failed: string }[] }>(
      `SELECT (SELECT count(*) FROM dag_runs WHERE dag_id = ?) AS runs, (SELECT count(*) FROM task_instances WHERE dag_id = ?) AS tis,
              (SELECT count(*) FROM dag_runs WHERE dag_id = ? AND state = 'failed') AS failed`,
      [dagId, dagId, dagId],
    )
  ).rows[0];
  return { dagId, runs: Number(counts?.runs), taskInstances: Number(counts?.tis), failedRuns: Number(counts?.failed), ms: performance.now() - t0 };
}
