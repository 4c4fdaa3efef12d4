import type { CheckSeverity } from "../sdk/checks";
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

/** A stored check result with the try it belongs to. */
export interface StoredCheckResult extends CheckResultRow {
  task_id: string;
  task_instance_id: number;
  try_number: number;
  severity: CheckSeverity;
  partition: string;
  dataset: string;
  created_at: Date;
}

/** Stored check results of a run, oldest task first (for the run page and tests). */
export async function checkResultsOfRun(db: Db, dagRunId: number): Promise<StoredCheckResult[]> {
  const rows = (await db("check_results")
    .where({ dag_run_id: dagRunId })
    .orderBy("id")
    .select("task_id", "task_instance_id", "try_number", "dataset", "partition", "severity", "expectation", "kind", "passed", "observed", "threshold", "created_at")) as StoredCheckResult[];
  return rows.map((r) => ({ ...r, task_instance_id: Number(r.task_instance_id) }));
}
