import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPLY_DECISIONS_SQL, SELECT_PENDING_BY_KEY_SQL, SELECT_PENDING_OF_RUNS_SQL } from "../../src/store/taskInstances";
import { END_RUNS_SQL, RUNNING_RUNS_WITH_NOTHING_OPEN_SQL } from "../../src/store/runs";
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

/** Every node of an EXPLAIN (FORMAT JSON) plan, subplans included, as "Node Type on relation". */
function planNodes(plan: unknown): string[] {
  const out: string[] = [];
  const walk = (n: { "Node Type": string; "Relation Name"?: string; Plans?: unknown[] }): void => {
    out.push(n["Relation Name"] ? `${n["Node Type"]} on ${n["Relation Name"]}` : n["Node Type"]);
    for (const child of n.Plans ?? []) walk(child as typeof n);
  };
  walk((plan as Array<{ Plan: Parameters<typeof walk>[0] }>)[0]!.Plan);
  return out;
}

describe("finalize and admission after a burst the statistics have not seen (generic plans)", () => {
  let burst: TestDatabase;
  let ending: number;
  let live: number;

  // Analyzed while it held 10 runs, then 2,000 more: the statistics say each run holds a tenth of
  // the table and every task instance is finished. (The same at 500k rows took 205 ms to finalize
  // one run, 390 ms to read a run's pending tasks, 1.5-3 s to find runs with nothing open.)
  beforeAll(async () => {
    burst = await createTestDatabase("plansburst");
    const db = burst.db;
    for (const t of ["dag_runs", "task_instances"]) await db.raw(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`);
    await db("dags").insert({ dag_id: "d", fileloc: "d.ts" });
    const [v] = await db("dag_versions").insert({ dag_id: "d", version_hash: "v", graph: "{}", source: "", fileloc: "d.ts" }).returning<Array<{ id: number }>>("id");
    const addRuns = async (from: number, to: number): Promise<void> => {
      await db.raw(
        `INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, dag_version_id)
         SELECT 'd', 'r' || g, 'manual', 'success', now() - g * interval '1 hour', now(), now(), ? FROM generate_series(?::int, ?::int) g`,
        [v!.id, from, to],
      );
      // t0 -> t1..t18 -> t19
      await db.raw(
        `INSERT INTO task_instances (dag_run_id, dag_id, task_id, state, try_number, upstream_task_ids, downstream_task_ids)
         SELECT r.id, 'd', 't' || g, 'success', 1,
                CASE WHEN g = 0 THEN '{}'::text[] WHEN g < 19 THEN ARRAY['t0'] ELSE (SELECT array_agg('t' || k) FROM generate_series(1, 18) k) END,
                CASE WHEN g = 0 THEN (SELECT array_agg('t' || k) FROM generate_series(1, 18) k) WHEN g < 19 THEN ARRAY['t19'] ELSE '{}'::text[] END
           FROM dag_runs r CROSS JOIN generate_series(0, 19) g WHERE substr(r.run_id, 2)::int BETWEEN ? AND ?`,
        [from, to],
      );
    };
    await addRuns(1, 10);
    await db.raw("ANALYZE dag_runs, task_instances");
    await addRuns(11, 2010);
    ending = Number((await db.raw("SELECT id FROM dag_runs WHERE run_id = 'r2010'")).rows[0].id);
    live = Number((await db.raw("SELECT id FROM dag_runs WHERE run_id = 'r2009'")).rows[0].id);
    await db.raw("UPDATE dag_runs SET state = 'running' WHERE id IN (?, ?)", [ending, live]);
    await db.raw("UPDATE task_instances SET state = CASE task_id WHEN 't5' THEN 'failed' WHEN 't19' THEN 'upstream_failed' ELSE state END WHERE dag_run_id = ?", [ending]);
    await db.raw(
      "UPDATE task_instances SET state = CASE WHEN task_id = 't19' THEN 'pending' WHEN substr(task_id, 2)::int % 2 = 0 THEN 'running' ELSE state END WHERE dag_run_id = ? AND task_id <> 't0'",
      [live],
    );
  });

  afterAll(async () => {
    await burst?.drop();
  });

  /** The plan a long-lived connection would cache: generic, executed (then rolled back). */
  async function genericPlan(sql: string, types: string, args: string): Promise<string[]> {
    const conn = (await burst.db.client.acquireConnection()) as pg.Client;
    try {
      await conn.query("BEGIN");
      await conn.query("SET LOCAL plan_cache_mode = force_generic_plan");
      await conn.query(`PREPARE p(${types}) AS ${sql}`);
      const r = await conn.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE p(${args})`);
      return planNodes(r.rows[0]!["QUERY PLAN"]);
    } finally {
      await conn.query("ROLLBACK");
      await conn.query("DEALLOCATE ALL");
      await burst.db.client.releaseConnection(conn);
    }
  }

  it("finalizing a run probes that run's task instances by key, also to find its failed leaves", async () => {
    const nodes = await genericPlan(END_RUNS_SQL, "bigint[]", `ARRAY[${ending}]::bigint[]`);
    expect(nodes).not.toContain("Seq Scan on task_instances");
    expect(nodes.filter((n) => /^(Index|Bitmap Heap) Scan on task_instances$/.test(n)).length).toBeGreaterThanOrEqual(2); // counting, and the upstream ids
  });

  it("reading pending task instances with their upstream counters never scans the table nor hashes a run", async () => {
    for (const nodes of [
      await genericPlan(SELECT_PENDING_OF_RUNS_SQL, "bigint[]", `ARRAY[${live}]::bigint[]`),
      await genericPlan(SELECT_PENDING_BY_KEY_SQL, "bigint[], text[]", `ARRAY[${live}, ${live}]::bigint[], ARRAY['t2', 't19']`),
    ]) {
      expect(nodes).not.toContain("Seq Scan on task_instances");
      expect(nodes).not.toContain("Hash Join");
    }
  });

  it("a completion touches only its own row, its downstream rows and its run's row, each by key (no run lock, no scan)", async () => {
    // The statements runnel_finish_tries runs (and the fan-in triggers they fire), as auto_explain
    // prints them to this session with generic plans. The live run's t2 is running; t19 joins t1..t18.
    const conn = (await burst.db.client.acquireConnection()) as pg.Client;
    const plans: string[] = [];
    const onNotice = (n: { message?: string }): void => {
      if (n.message?.includes("Query Text:")) plans.push(n.message);
    };
    conn.on("notice", onNotice);
    let result: unknown;
    try {
      await conn.query("BEGIN");
      await conn.query("LOAD 'auto_explain'");
      await conn.query("SET LOCAL auto_explain.log_min_duration = 0");
      await conn.query("SET LOCAL auto_explain.log_nested_statements = on");
      await conn.query("SET LOCAL auto_explain.log_level = notice");
      await conn.query("SET LOCAL plan_cache_mode = force_generic_plan");
      const t2 = Number((await conn.query<{ id: string }>("SELECT id FROM task_instances WHERE dag_run_id = $1 AND task_id = 't2'", [live])).rows[0]!.id);
      const items = [{ run: live, id: t2, try: 1, state: "success", attemptState: "success", logs: [] }];
      result = (await conn.query<{ r: unknown }>("SELECT runnel_finish_tries($1::jsonb) AS r", [JSON.stringify(items)])).rows[0]!.r;
    } finally {
      conn.off("notice", onNotice);
      await conn.query("ROLLBACK");
      await burst.db.client.releaseConnection(conn);
    }
    expect(result).toMatchObject([{ won: true, pending: [{ trigger_rule: "all_success" }] }]);
    const nested = plans.filter((p) => !p.includes("runnel_finish_tries($1"));
    expect(nested.some((p) => p.includes("downstream_task_ids") && p.includes("FOR UPDATE")), "the lock in id order").toBe(true);
    expect(nested.some((p) => p.includes("upstream_open = d.upstream_open")), "the fan-in trigger's update").toBe(true);
    expect(nested.some((p) => p.includes("open_task_instances = open_task_instances")), "the run's open count").toBe(true);
    for (const p of nested) {
      expect(p, "no statement of a completion scans task instances or hashes a run").not.toMatch(/Seq Scan on task_instances|Hash Join/);
    }
  });

  it("applying trigger-rule decisions locks and writes the decided rows and their downstream by key", async () => {
    const t19 = Number((await burst.db.raw("SELECT id FROM task_instances WHERE dag_run_id = ? AND task_id = 't19'", [live])).rows[0].id);
    const t2 = Number((await burst.db.raw("SELECT id FROM task_instances WHERE dag_run_id = ? AND task_id = 't2'", [live])).rows[0].id);
    const nodes = await genericPlan(
      APPLY_DECISIONS_SQL,
      "bigint[], text[], int[], int[], int[], int[], int[]",
      `ARRAY[${t2}, ${t19}]::bigint[], ARRAY['skipped', 'queued'], ARRAY[0, 0], ARRAY[0, 0], ARRAY[0, 0], ARRAY[0, 0], ARRAY[0, 0]`,
    );
    expect(nodes).toContain("LockRows");
    expect(nodes).not.toContain("Seq Scan on task_instances");
    expect(nodes).not.toContain("Hash Join");
  });

  it("finding running runs with nothing open probes each run by key", async () => {
    const nodes = await genericPlan(RUNNING_RUNS_WITH_NOTHING_OPEN_SQL, "int", "500");
    expect(nodes).not.toContain("Seq Scan on task_instances");
  });
});
