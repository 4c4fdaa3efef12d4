import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLAIM_TRIES_SQL } from "../../src/store/taskTries";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

let tdb: TestDatabase;
let queuedId: number;

// A burst after the last ANALYZE: 4,000 task instances queued while the statistics still say
// every one is finished, so the partial index of open task instances looks empty.
beforeAll(async () => {
  tdb = await createTestDatabase("plans");
  const db = tdb.db;
  await db("dags").insert({ dag_id: "d", fileloc: "d.ts" });
  const [v] = await db("dag_versions").insert({ dag_id: "d", version_hash: "v", graph: "{}", source: "", fileloc: "d.ts" }).returning<Array<{ id: number }>>("id");
  await db.raw(
    `INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, dag_version_id)
     SELECT 'd', 'r' || g, 'manual', 'success', now() - g * interval '1 hour', now(), now(), ? FROM generate_series(1, 2000) g`,
    [v!.id],
  );
  await db.raw(`INSERT INTO task_instances (dag_run_id, dag_id, task_id, state, try_number) SELECT r.id, 'd', 't' || g, 'success', 1 FROM dag_runs r CROSS JOIN generate_series(1, 20) g`);
  await db.raw("ANALYZE dag_runs, task_instances");
  await db.raw("UPDATE dag_runs SET state = 'running' WHERE id IN (SELECT id FROM dag_runs ORDER BY id LIMIT 200)");
  await db.raw("UPDATE task_instances SET state = 'queued' WHERE dag_run_id IN (SELECT id FROM dag_runs WHERE state = 'running')");
  queuedId = Number((await db.raw("SELECT max(id) AS id FROM task_instances WHERE state = 'queued'")).rows[0].id);
});

afterAll(async () => {
  await tdb?.drop();
});

describe("keyed statements on task_instances", () => {
  it("a claim finds its task instance by primary key, not by scanning the queued ones (generic plan, stale statistics)", async () => {
    const conn = (await tdb.db.client.acquireConnection()) as pg.Client;
    let plan: string;
    try {
      await conn.query("BEGIN");
      await conn.query("SET LOCAL plan_cache_mode = force_generic_plan");
      await conn.query(`PREPARE claim_plan(text, bigint[], int[], int[]) AS ${CLAIM_TRIES_SQL}`);
      const r = await conn.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim_plan('w', ARRAY[${queuedId}]::bigint[], ARRAY[1], ARRAY[NULL]::int[])`);
      plan = JSON.stringify(r.rows[0]!["QUERY PLAN"]);
    } finally {
      await conn.query("ROLLBACK");
      await conn.query("DEALLOCATE ALL");
      await tdb.db.client.releaseConnection(conn);
    }
    expect(plan).toContain('"Index Name":"task_instances_pkey"');
    expect(plan).not.toContain('"Index Name":"task_instances_open_idx"');
  });
});
