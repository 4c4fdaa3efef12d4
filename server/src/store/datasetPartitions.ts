import type { CheckSeverity } from "../sdk/checks";
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

/** One stored expectation result of a check on a dataset. */
export interface DatasetCheckRow {
  dagId: string;
  taskId: string;
  dagRunId: number;
  partition: string;
  severity: CheckSeverity;
  expectation: string;
  kind: string;
  passed: boolean;
  observed: string;
  threshold: string;
  checkedAt: Date;
}

/**
 * Check results on a dataset (any of `names`: a check may name its table without the warehouse
 * schema), for a trend: the newest `limit` results, returned oldest partition first.
 */
export async function datasetCheckTrend(db: Db, names: readonly string[], limit = 2000): Promise<DatasetCheckRow[]> {
  const rows = await db
    .select<
      Array<{
        dag_id: string;
        task_id: string;
        dag_run_id: number;
        partition: string;
        severity: CheckSeverity;
        expectation: string;
        kind: string;
        passed: boolean;
        observed: string;
        threshold: string;
        created_at: Date;
      }>
    >("*")
    .from(db("check_results").whereIn("dataset", [...names]).orderBy([{ column: "partition", order: "desc" }, { column: "id", order: "desc" }]).limit(limit).as("c"))
    .orderBy([{ column: "partition" }, { column: "id" }]);
  return rows.map((r) => ({
    dagId: r.dag_id,
    taskId: r.task_id,
    dagRunId: r.dag_run_id,
    partition: r.partition,
    severity: r.severity,
    expectation: r.expectation,
    kind: r.kind,
    passed: r.passed,
    observed: r.observed,
    threshold: r.threshold,
    checkedAt: r.created_at,
  }));
}
