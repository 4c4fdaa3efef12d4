import type { Db } from "./db";
import { WAKE_CHANNEL, WakeReason, wakePayload } from "../model/schedulerWake";

/** One write of a dataset (or of one of its partitions), as recorded by a task. */
export interface DatasetEventInput {
  /** Dataset URI: `<schema>.<table>` for warehouse tables, `file://<absolute path>` for files. */
  uri: string;
  partition: string | null;
  rowCount: number | null;
  checksum: string | null;
  taskInstanceId: number | null;
  dagRunId: number | null;
  tryNumber: number | null;
}

/** A stored dataset event. */
export interface DatasetEvent extends DatasetEventInput {
  id: number;
  datasetId: number;
  createdAt: Date;
}

interface DatasetEventRow {
  id: number;
  dataset_id: number;
  uri: string;
  partition: string | null;
  row_count: number | string | null;
  checksum: string | null;
  task_instance_id: number | null;
  dag_run_id: number | null;
  try_number: number | null;
  created_at: Date;
}

/**
 * Records that a dataset (partition) was written: creates the dataset on first sight and appends
 * an event, and wakes the schedulers (NOTIFY). One statement, so a dataset never exists without the event that introduced it.
 * Pass a transaction as `db` to make the event part of a larger unit.
 * @returns the event id.
 */
export async function recordDatasetEvent(db: Db, e: DatasetEventInput): Promise<number> {
  if (typeof e.uri !== "string" || e.uri.trim() === "") throw new Error("recordDatasetEvent: uri must be a non-empty string");
  // DO UPDATE (a no-op write) rather than DO NOTHING: RETURNING then yields the id even when the
  // dataset exists or a concurrent writer has just created it.
  const result = await db.raw<{ rows: Array<{ id: number }> }>(
    `WITH ds AS (
       INSERT INTO datasets (uri) VALUES (?)
       ON CONFLICT (uri) DO UPDATE SET uri = EXCLUDED.uri
       RETURNING id
     )
     , ev AS (
       INSERT INTO dataset_events (dataset_id, partition, row_count, checksum, task_instance_id, dag_run_id, try_number)
       SELECT ds.id, ?, ?, ?, ?, ?, ? FROM ds
       RETURNING id
     )
     -- Wakes the schedulers (delivered on commit): the leader creates dataset-triggered runs at once.
     SELECT id, pg_notify(?, ?) FROM ev`,
    [e.uri, e.partition, e.rowCount, e.checksum, e.taskInstanceId, e.dagRunId, e.tryNumber, WAKE_CHANNEL, wakePayload(WakeReason.dataset, e.uri)],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`recordDatasetEvent: no event recorded for ${e.uri}`);
  return Number(id);
}

/** Filter of `listDatasetEvents`. */
export interface DatasetEventFilter {
  partition?: string;
  /** At most this many events (newest first). Default 1000. */
  limit?: number;
}

/** Events of one dataset, newest first. Empty when the dataset was never written. */
export async function listDatasetEvents(db: Db, uri: string, filter: DatasetEventFilter = {}): Promise<DatasetEvent[]> {
  const query = db("dataset_events as e")
    .join("datasets as d", "d.id", "e.dataset_id")
    .where("d.uri", uri)
    .select<DatasetEventRow[]>(
      "e.id",
      "e.dataset_id",
      "d.uri",
      "e.partition",
      "e.row_count",
      "e.checksum",
      "e.task_instance_id",
      "e.dag_run_id",
      "e.try_number",
      "e.created_at",
    )
    .orderBy("e.id", "desc")
    .limit(filter.limit ?? 1000);
  if (filter.partition !== undefined) query.where("e.partition", filter.partition);
  const rows = await query;
  return rows.map(toDatasetEvent);
}

function toDatasetEvent(r: DatasetEventRow): DatasetEvent {
  return {
    id: Number(r.id),
    datasetId: Number(r.dataset_id),
    uri: r.uri,
    partition: r.partition,
    rowCount: r.row_count === null ? null : Number(r.row_count),
    checksum: r.checksum,
    taskInstanceId: r.task_instance_id === null ? null : Number(r.task_instance_id),
    dagRunId: r.dag_run_id === null ? null : Number(r.dag_run_id),
    tryNumber: r.try_number,
    createdAt: r.created_at,
  };
}
