import type { Db } from "./db";

/** The try that read (see migrations/0009_lineage.ts: a write's inputs are the reads of its try). */
export interface ReadingTry {
  taskInstanceId: number;
  dagRunId: number;
  tryNumber: number;
}

/** A stored read of one dataset partition. */
export interface DatasetRead {
  id: number;
  uri: string;
  partition: string;
  /** The partition's latest write when it was read; null: never written through Runnel. */
  eventId: number | null;
  taskInstanceId: number;
  dagRunId: number;
  tryNumber: number;
  createdAt: Date;
}

/**
 * Records that `reader` read `partitions` of the dataset `uri`: creates the dataset on first
 * sight and stores one row per partition with the partition's latest event at this moment. One
 * statement; a partition already read by this try is left as first recorded.
 * @returns how many reads were new.
 */
export async function recordDatasetReads(db: Db, uri: string, partitions: readonly string[], reader: ReadingTry): Promise<number> {
  if (typeof uri !== "string" || uri.trim() === "") throw new Error("recordDatasetReads: uri must be a non-empty string");
  const unique = [...new Set(partitions)];
  if (unique.length === 0) return 0;
  if (unique.some((p) => typeof p !== "string" || p === "")) throw new Error(`recordDatasetReads: every partition of ${uri} must be a non-empty string`);
  const result = await db.raw<{ rowCount: number | null }>(
    `WITH ds AS (
       INSERT INTO datasets (uri) VALUES (?)
       ON CONFLICT (uri) DO UPDATE SET uri = EXCLUDED.uri
       RETURNING id
     )
     INSERT INTO dataset_reads (dataset_id, partition, event_id, task_instance_id, dag_run_id, try_number)
     SELECT ds.id, p.partition,
            (SELECT e.id FROM dataset_events e WHERE e.dataset_id = ds.id AND e.partition = p.partition ORDER BY e.id DESC LIMIT 1),
            ?, ?, ?
       FROM ds, unnest(?::text[]) AS p(partition)
     ON CONFLICT (task_instance_id, try_number, dataset_id, partition) DO NOTHING`,
    [uri, reader.taskInstanceId, reader.dagRunId, reader.tryNumber, unique],
  );
  return result.rowCount ?? 0;
}

interface ReadRow {
  id: number;
  uri: string;
  partition: string;
  event_id: number | null;
  task_instance_id: number;
  dag_run_id: number;
  try_number: number;
  created_at: Date;
}

/** The reads of one task instance (one try, or all), oldest first. */
export async function listReadsOfTaskInstance(db: Db, taskInstanceId: number, tryNumber?: number): Promise<DatasetRead[]> {
  const query = db("dataset_reads as r")
    .join("datasets as d", "d.id", "r.dataset_id")
    .where("r.task_instance_id", taskInstanceId)
    .select<ReadRow[]>("r.id", "d.uri", "r.partition", "r.event_id", "r.task_instance_id", "r.dag_run_id", "r.try_number", "r.created_at")
    .orderBy("r.id");
  if (tryNumber !== undefined) query.where("r.try_number", tryNumber);
  return (await query).map((r) => ({
    id: r.id,
    uri: r.uri,
    partition: r.partition,
    eventId: r.event_id,
    taskInstanceId: r.task_instance_id,
    dagRunId: r.dag_run_id,
    tryNumber: r.try_number,
    createdAt: r.created_at,
  }));
}
