import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heartbeat } from "../../src/store/taskTries";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

let tdb: TestDatabase;
let ids: number[];

beforeAll(async () => {
  tdb = await createTestDatabase("beat");
  const db = tdb.db;
  await db("dags").insert({ dag_id: "beat", fileloc: "beat.ts" });
  const [version] = await db("dag_versions").insert({ dag_id: "beat", version_hash: "v", graph: "{}", source: "", fileloc: "beat.ts" }).returning<Array<{ id: number }>>("id");
  const day = new Date("2024-01-01T00:00:00Z");
  const [run] = await db("dag_runs")
    .insert({ dag_id: "beat", run_id: "manual__beat", run_type: "manual", state: "running", logical_date: day, data_interval_start: day, data_interval_end: day, dag_version_id: version!.id })
    .returning<Array<{ id: number }>>("id");
  const rows = await db("task_instances")
    .insert(["a", "b"].map((task_id) => ({ dag_run_id: run!.id, dag_id: "beat", task_id, state: "running", try_number: 1 })))
    .returning<Array<{ id: number }>>("id");
  ids = rows.map((r) => Number(r.id));
});

afterAll(async () => {
  await tdb?.drop();
});

async function beats(): Promise<Array<Date | null>> {
  const rows: Array<{ id: number; heartbeat_at: Date | null }> = await tdb.db("task_instances").whereIn("id", ids).orderBy("id").select("id", "heartbeat_at");
  return rows.map((r) => r.heartbeat_at);
}

describe("heartbeat", () => {
  it("skips a try another transaction holds instead of waiting for it (no deadlock with a completion), and beats it next time", async () => {
    const trx = await tdb.db.transaction();
    try {
      await trx.raw("SELECT id FROM task_instances WHERE id = ? FOR UPDATE", [ids[0]!]);
      // Would block until the transaction ends if it waited for the lock; it returns at once.
      await heartbeat(tdb.db, ids.map((id) => ({ id, tryNumber: 1 })));
      const [held, free] = await beats();
      expect(held).toBeNull();
      expect(free).toBeInstanceOf(Date);
    } finally {
      await trx.commit();
    }
    await heartbeat(tdb.db, ids.map((id) => ({ id, tryNumber: 1 })));
    expect((await beats()).every((b) => b instanceof Date)).toBe(true);
  });

  it("beats only the try it is given: a stale try number changes nothing", async () => {
    await tdb.db("task_instances").whereIn("id", ids).update({ heartbeat_at: null });
    await heartbeat(tdb.db, [{ id: ids[0]!, tryNumber: 2 }]);
    expect(await beats()).toEqual([null, null]);
  });
});
