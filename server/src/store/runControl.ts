import type { Db } from "./db";

/** Starts one run now, ignoring maxActiveRuns (`dags test`). Fenced on `queued`. */
export async function startRunNow(db: Db, dagRunId: number): Promise<boolean> {
  const n = await db("dag_runs").where({ id: dagRunId, state: "queued" }).update({ state: "running", start_date: db.fn.now() });
  return n === 1;
}

/** Deletes a run and everything that hangs off it (`tasks test` leaves no history). */
export async function deleteRun(db: Db, dagRunId: number): Promise<void> {
  await db("dag_runs").where({ id: dagRunId }).delete();
}

/** Queues one pending task instance of a run directly, ignoring its upstream (`tasks test`). */
export async function forceQueueTask(db: Db, dagRunId: number, taskId: string): Promise<{ id: number; tryNumber: number } | undefined> {
  const rows = await db("task_instances")
    .where({ dag_run_id: dagRunId, task_id: taskId, state: "pending" })
    .update({ state: "queued", try_number: db.raw("try_number + 1"), queued_at: db.fn.now() })
    .returning(["id", "try_number"]);
  const row = rows[0] as { id: number; try_number: number } | undefined;
  return row ? { id: row.id, tryNumber: row.try_number } : undefined;
}
