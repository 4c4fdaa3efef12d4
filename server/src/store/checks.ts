import type { CheckSeverity } from "../model/checks";
import type { Db } from "./db";

/** One stored expectation result of a check task's try. */
export interface CheckResultRow {
  expectation: string;
  kind: string;
  passed: boolean;
  observed: string;
  threshold: string;
}

/** Which check try the results belong to. */
export interface CheckResultKey {
  dagRunId: number;
  taskInstanceId: number;
  dagId: string;
  taskId: string;
  tryNumber: number;
  partition: string;
  dataset: string;
  severity: CheckSeverity;
}

/**
 * Replaces the stored results of a check task instance with those of its latest try, in one
 * transaction, so a retried or cleared check never shows results of two tries side by side.
 */
export async function recordCheckResults(db: Db, key: CheckResultKey, results: readonly CheckResultRow[]): Promise<void> {
  await db.transaction(async (trx) => {
    await trx("check_results").where({ task_instance_id: key.taskInstanceId }).delete();
    if (results.length === 0) return;
    await trx("check_results").insert(
      results.map((r) => ({
        dag_run_id: key.dagRunId,
        task_instance_id: key.taskInstanceId,
        dag_id: key.dagId,
        task_id: key.taskId,
        try_number: key.tryNumber,
        partition: key.partition,
        dataset: key.dataset,
        severity: key.severity,
        expectation: r.expectation,
        kind: r.kind,
        passed: r.passed,
        observed: r.observed,
        threshold: r.threshold,
      })),
    );
  });
}

/** A stored check result with the run, task and try it belongs to. */
export interface StoredCheckResult extends CheckResultRow {
  dagId: string;
  taskId: string;
  dagRunId: number;
  taskInstanceId: number;
  tryNumber: number;
  severity: CheckSeverity;
  partition: string;
  dataset: string;
  checkedAt: Date;
}

interface CheckResultDbRow extends CheckResultRow {
  dag_id: string;
  task_id: string;
  dag_run_id: number | string;
  task_instance_id: number | string;
  try_number: number;
  severity: CheckSeverity;
  partition: string;
  dataset: string;
  created_at: Date;
}

const CHECK_RESULT_COLUMNS = [
  "dag_id", "task_id", "dag_run_id", "task_instance_id", "try_number", "dataset", "partition", "severity",
  "expectation", "kind", "passed", "observed", "threshold", "created_at", "id",
] as const;

function toStoredCheckResult(r: CheckResultDbRow): StoredCheckResult {
  return {
    dagId: r.dag_id,
    taskId: r.task_id,
    dagRunId: Number(r.dag_run_id),
    taskInstanceId: Number(r.task_instance_id),
    tryNumber: r.try_number,
    dataset: r.dataset,
    partition: r.partition,
    severity: r.severity,
    expectation: r.expectation,
    kind: r.kind,
    passed: r.passed,
    observed: r.observed,
    threshold: r.threshold,
    checkedAt: r.created_at,
  };
}

/** Stored check results of a run, oldest task first (for the run page and tests). */
export async function checkResultsOfRun(db: Db, dagRunId: number): Promise<StoredCheckResult[]> {
  const rows = (await db("check_results").where({ dag_run_id: dagRunId }).orderBy("id").select(...CHECK_RESULT_COLUMNS)) as CheckResultDbRow[];
  return rows.map(toStoredCheckResult);
}

/**
 * Check results on a dataset (any of `names`: a check may name its table without the warehouse
 * schema), for a trend: the newest `limit` results, returned oldest partition first.
 */
export async function datasetCheckTrend(db: Db, names: readonly string[], limit = 2000): Promise<StoredCheckResult[]> {
  const newest = db("check_results").select(...CHECK_RESULT_COLUMNS).whereIn("dataset", [...names]).orderBy([{ column: "partition", order: "desc" }, { column: "id", order: "desc" }]).limit(limit).as("c");
  const rows = (await db.select("*").from(newest).orderBy([{ column: "partition" }, { column: "id" }])) as CheckResultDbRow[];
  return rows.map(toStoredCheckResult);
}
