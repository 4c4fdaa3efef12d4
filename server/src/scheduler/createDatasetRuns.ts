import type { LoadedDag } from "../dags/dagFolder";
import { partitionInterval, runIdFor } from "../schedule/index";
import { scheduleDatasetsOf } from "../store/dags";
import { withTx, type PgConn } from "../store/pgConn";
import { createRunOn } from "../store/runs";
import type { RunCreationDeps } from "./createDueRuns";

/** Dataset events looked at per DAG and tick; the cursor carries the rest to the next tick. */
const EVENTS_PER_TICK = 1000;

/** SQL condition on dataset event `e`: not written by a `dags test` run (those never trigger runs). */
const NOT_FROM_TEST_RUN = "NOT EXISTS (SELECT 1 FROM dag_runs tr WHERE tr.id = e.dag_run_id AND tr.run_type = 'test')";

/**
 * Data-aware scheduling (`schedule: { datasets }`): for every active, unpaused DAG scheduled on
 * datasets, reads the dataset events written since its cursor and creates one
 * `dataset_triggered` run per partition that every one of its datasets has now been written
 * for. The run's logical date and data interval come from the partition key (see
 * `partitionInterval`), so `ctx.partition` equals the partition written upstream.
 *
 * Exactly once: the cursor row is locked, the runs are created and the cursor moves in one
 * transaction; a unique index allows one dataset-triggered run per DAG and logical date, so a
 * partition rewritten later does not start a second run (use "Reprocess downstream" for that).
 * A new DAG reacts to writes made after it was first registered, or to every write ever
 * recorded when it sets `catchup: true`. Events that arrive while the DAG is paused are
 * acted on when it is unpaused. Events written by `dags test` runs (run type `test`) are
 * ignored: a test never starts a data-aware run, nor counts as a write of a partition.
 * @returns how many runs were created.
 */
export async function createDatasetRuns(deps: RunCreationDeps): Promise<number> {
  if (!deps.dags.list().some((d) => scheduleDatasetsOf(d.serialized) !== null)) return 0;
  let created = 0;
  for (const loaded of deps.dags.list()) {
    const datasets = scheduleDatasetsOf(loaded.serialized);
    const dagId = loaded.serialized.dagId;
    const versionId = deps.dags.versionId(dagId);
    if (datasets === null || !deps.runnable.has(dagId) || versionId === undefined) continue;
    const runs = await withTx(deps.db, (conn) => createRunsForDag(conn, loaded, versionId, datasets));
    for (const r of runs) deps.log.info({ dagId, partition: r.partition, dagRunId: r.dagRunId, triggerEventId: r.eventId }, "created dataset-triggered run");
    created += runs.length;
  }
  return created;
}

interface CreatedRun {
  dagRunId: number;
  partition: string;
  eventId: number;
}

async function createRunsForDag(conn: PgConn, loaded: LoadedDag, versionId: number, datasets: readonly string[]): Promise<CreatedRun[]> {
  const dagId = loaded.serialized.dagId;
  const cursor = await lockCursor(conn, dagId, loaded.serialized.catchup, datasets);
  if (cursor === null) return [];
  const events = await conn.query<{ id: string; partition: string | null }>(
    `SELECT e.id, e.partition FROM dataset_events e JOIN datasets d ON d.id = e.dataset_id
     WHERE d.uri = ANY($1::text[]) AND e.id > $2 AND ${NOT_FROM_TEST_RUN} ORDER BY e.id LIMIT $3`,
    [datasets, cursor, EVENTS_PER_TICK],
  );
  if (events.rows.length === 0) return [];
  // The newest event of each partition written since the cursor, oldest partition first.
  const latest = new Map<string, number>();
  for (const e of events.rows) if (e.partition !== null) latest.set(e.partition, Number(e.id));
  const created: CreatedRun[] = [];
  for (const [partition, eventId] of latest) {
    if (!(await writtenToAll(conn, datasets, partition))) continue;
    const interval = partitionInterval(partition, loaded.serialized.timezone);
    if (interval === null) continue;
    const dagRunId = await createRunOn(conn, {
      dagId,
      runId: runIdFor("dataset_triggered", interval.start),
      runType: "dataset_triggered",
      logicalDate: interval.start,
      dataIntervalStart: interval.start,
      dataIntervalEnd: interval.end,
      versionId,
      graph: loaded.serialized,
      triggerEventId: eventId,
    });
    if (dagRunId !== null) created.push({ dagRunId: Number(dagRunId), partition, eventId });
  }
  const last = events.rows[events.rows.length - 1]!.id;
  await conn.query("UPDATE dataset_schedule_cursors SET last_event_id = $2, updated_at = now() WHERE dag_id = $1", [dagId, last]);
  return created;
}

/**
 * Locks the DAG's cursor row for this transaction and returns it; creates it at first sight:
 * after the last event written before the DAG was first registered (so nothing written since
 * is missed, however late the first tick), or before every event with catchup.
 */
async function lockCursor(conn: PgConn, dagId: string, catchup: boolean, datasets: readonly string[]): Promise<number | null> {
  const found = await conn.query<{ last_event_id: string }>("SELECT last_event_id FROM dataset_schedule_cursors WHERE dag_id = $1 FOR UPDATE", [dagId]);
  if (found.rows[0]) return Number(found.rows[0].last_event_id);
  const inserted = await conn.query<{ last_event_id: string }>(
    `INSERT INTO dataset_schedule_cursors (dag_id, last_event_id)
     SELECT $1, CASE WHEN $2::boolean THEN 0 ELSE COALESCE(max(e.id), 0) END
     FROM dataset_events e JOIN datasets d ON d.id = e.dataset_id
     WHERE d.uri = ANY($3::text[]) AND e.created_at < (SELECT created_at FROM dags WHERE dag_id = $1)
     ON CONFLICT (dag_id) DO NOTHING RETURNING last_event_id`,
    [dagId, catchup, datasets],
  );
  // Another scheduler created it first: skip this tick rather than wait on its lock.
  return inserted.rows[0] ? Number(inserted.rows[0].last_event_id) : null;
}

/** Whether every dataset has at least one recorded write of `partition` (outside test runs). */
async function writtenToAll(conn: PgConn, datasets: readonly string[], partition: string): Promise<boolean> {
  const r = await conn.query<{ n: string }>(
    `SELECT count(DISTINCT d.id) AS n FROM datasets d
     WHERE d.uri = ANY($1::text[]) AND EXISTS (SELECT 1 FROM dataset_events e WHERE e.dataset_id = d.id AND e.partition = $2 AND ${NOT_FROM_TEST_RUN})`,
    [datasets, partition],
  );
  return Number(r.rows[0]?.n ?? 0) === new Set(datasets).size;
}
