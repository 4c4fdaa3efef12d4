import type { Db } from "./db";

/** Starts one run now, ignoring maxActiveRuns (`dags test`). Fenced on `queued`. */
export async function startRunNow(db: Db, dagRunId: number): Promise<boolean> {
  const n = await db("dag_runs").where({ id: dagRunId, state: "queued" }).update({ state: "running", start_date: db.fn.now() });
  return n === 1;
}
