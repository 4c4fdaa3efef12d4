import type { Db } from "./db";
import { toStoredWrite, WRITE_COLUMNS, WRITE_JOINS, type StoredWrite } from "./partitionWrites";

/** A partition of a dataset: its latest write and how many writes it had. */
export interface DatasetPartitionRow extends Omit<StoredWrite, "partition"> {
  partition: string | null;
  writes: number;
}

/** The written partitions of a dataset, most recently written first. */
export async function datasetPartitions(db: Db, datasetId: number, limit = 500): Promise<DatasetPartitionRow[]> {
  const result = await db.raw<{ rows: Array<Parameters<typeof toStoredWrite>[0] & { writes: number | string }> }>(
    `SELECT ${WRITE_COLUMNS}, p.writes
       FROM (SELECT partition, max(id) AS last_id, count(*) AS writes FROM dataset_events WHERE dataset_id = ? GROUP BY partition ORDER BY max(id) DESC LIMIT ?) p
       JOIN dataset_events e ON e.id = p.last_id ${WRITE_JOINS}
      ORDER BY e.id DESC`,
    [datasetId, limit],
  );
  return result.rows.map((r) => ({ ...toStoredWrite(r), writes: Number(r.writes) }));
}
