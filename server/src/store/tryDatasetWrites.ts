import type { Db } from "./db";

/**
 * URIs of the datasets one try of one task instance wrote (its `dataset_events`), each once, in
 * the order first written. Read only when OpenLineage export is on (for COMPLETE events).
 */
export async function datasetUrisWrittenByTry(db: Db, taskInstanceId: number, tryNumber: number): Promise<string[]> {
  const rows = await db("dataset_events as e")
    .join("datasets as d", "d.id", "e.dataset_id")
    .where({ "e.task_instance_id": taskInstanceId, "e.try_number": tryNumber })
    .groupBy("d.uri")
    .select<Array<{ uri: string }>>("d.uri")
    .orderByRaw("min(e.id)");
  return rows.map((r) => r.uri);
}
