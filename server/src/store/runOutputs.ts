import type { Db } from "./db";

/** The outputs of some task instances of one run. */
export interface RunOutputs {
  dagRunId: number;
  runId: string;
  /** task id -> its task instance's output (null when it returned nothing or was skipped); only task ids the run has. */
  outputs: Record<string, unknown>;
}

/**
 * The outputs of `taskIds` in the latest successful run of a DAG for one logical date (the one
 * that ended last), what `tasks test` hands a task as its upstream. `dags test` runs do not count.
 * @returns null when no such run exists.
 */
export async function latestSuccessfulRunOutputs(db: Db, dagId: string, logicalDate: Date, taskIds: readonly string[]): Promise<RunOutputs | null> {
  const run = await db("dag_runs")
    .select("id", "run_id")
    .where({ dag_id: dagId, logical_date: logicalDate, state: "success" })
    .whereNot({ run_type: "test" })
    .orderByRaw("end_date DESC NULLS LAST, id DESC")
    .first<{ id: number; run_id: string } | undefined>();
  if (!run) return null;
  const rows = (await db("task_instances").select("task_id", "output").where({ dag_run_id: run.id }).whereIn("task_id", [...taskIds])) as Array<{ task_id: string; output: unknown }>;
  return { dagRunId: Number(run.id), runId: run.run_id, outputs: Object.fromEntries(rows.map((r) => [r.task_id, r.output ?? null])) };
}
