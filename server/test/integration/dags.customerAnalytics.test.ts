import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testTask } from "../../src/cli/taskTest";
import { createEngineEnv, REPO_DAGS, startEngine, taskStates, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

let env: EngineEnv;
let engine: Engine;

beforeAll(async () => {
  env = await createEngineEnv("ca", { dagsFolder: REPO_DAGS });
  // generate_inputs drops the orders file here and wait_for_orders looks for it.
  process.env.RUNNEL_DATA_DIR = env.scratch;
  engine = await startEngine(env.config);
});
afterAll(async () => {
  delete process.env.RUNNEL_DATA_DIR;
  await engine?.close();
  await env?.drop();
});

async function partitionFacts(table: string, ds: string): Promise<{ count: number; checksum: string }> {
  const r = await env.db.raw(
    `SELECT count(*)::int AS count, md5(coalesce(string_agg(md5(row_to_json(t)::text), '' ORDER BY md5(row_to_json(t)::text)), '')) AS checksum
     FROM warehouse.${table} t WHERE ds::text = ?`,
    [ds],
  );
  return r.rows[0];
}

describe("the example DAGs", () => {
  it("load without import errors", () => {
    expect(engine.rt.registry.importErrors()).toEqual([]);
    expect(engine.rt.registry.list().map((d) => d.serialized.dagId).sort()).toEqual(["customer_analytics", "customer_segments", "hello"]);
  });

  it("customer_analytics runs end to end for one date through the scheduler and workers", async () => {
    const runId = await trigger(engine.rt, "customer_analytics", {}, new Date("2024-03-01T00:00:00Z"));
    expect(await waitForRunEnd(env.db, runId, 60_000)).toBe("success");
    const states = await taskStates(env.db, runId);
    expect(Object.values(states).every((s) => s === "success")).toBe(true);
    expect(Object.keys(states)).toHaveLength(11);
    const checks = await env.db("check_results").where({ dag_run_id: runId }).orderBy(["task_id", "expectation"]).select("task_id", "expectation", "passed", "severity");
    expect(checks).toEqual([
      { task_id: "check_customer_metrics", expectation: "nullRatio(customer_id)", passed: true, severity: "error" },
      { task_id: "check_customer_metrics", expectation: "rowCount", passed: true, severity: "error" },
      // A first run has no trailing partitions: the volume check passes as "insufficient history".
      { task_id: "watch_customer_metrics_volume", expectation: "volumeAnomaly", passed: true, severity: "warn" },
    ]);
    const metrics = await partitionFacts("customer_metrics", "2024-03-01");
    expect(metrics.count).toBeGreaterThan(0);
    const nulls = await env.db.raw("SELECT count(*)::int AS n FROM warehouse.customer_metrics WHERE ds::text = '2024-03-01' AND (customer_id IS NULL OR revenue IS NULL)");
    expect(nulls.rows[0].n).toBe(0);
    // The malformed orders of the day went to the dead-letter queue, not into the table.
    const letters = await env.db("dead_letters").where({ dag_run_id: runId, kind: "record", task_id: "extract_orders" }).count<{ n: string }[]>("* as n");
    expect(Number(letters[0]!.n)).toBeGreaterThan(0);
    const events = await env.db("dataset_events as e").join("datasets as d", "d.id", "e.dataset_id").join("task_instances as t", "t.id", "e.task_instance_id").where({ "t.dag_run_id": runId }).pluck("d.uri");
    expect(events).toContain("warehouse.customer_metrics");
    // Lineage is complete: each task that reads records what it read, pointing at the write it saw.
    const reads: Array<{ task_id: string; uri: string; partition: string; event_id: number | null }> = await env.db("dataset_reads as r")
      .join("datasets as d", "d.id", "r.dataset_id")
      .join("task_instances as t", "t.id", "r.task_instance_id")
      .where({ "t.dag_run_id": runId })
      .select("t.task_id", "d.uri", "r.partition", "r.event_id");
    const readBy = (task: string) => reads.filter((r) => r.task_id === task).map((r) => `${r.uri}|${r.partition}`).sort();
    expect(readBy("extract_orders")).toEqual(["file://incoming/orders|2024-03-01"]);
    expect(readBy("customer_metrics")).toEqual(["warehouse.raw_orders|2024-03-01"]);
    expect(readBy("customer_alerts")).toEqual(["warehouse.customer_metrics|2024-03-01", "warehouse.raw_tickets|2024-03-01"]);
    expect(readBy("data_quality")).toEqual(["warehouse.customer_alerts|2024-03-01", "warehouse.customer_metrics|2024-03-01", "warehouse.raw_orders|2024-03-01"]);
    expect(readBy("check_customer_metrics")).toEqual(["warehouse.customer_metrics|2024-03-01"]);
    expect(reads.filter((r) => r.event_id === null)).toEqual([]);
    // customer_segments is scheduled on warehouse.customer_metrics: the write above started it for that partition.
    const segmentsRun = await waitFor("the dataset-triggered customer_segments run", async () =>
      env.db("dag_runs").where({ dag_id: "customer_segments", run_type: "dataset_triggered" }).first<{ id: number; logical_date: Date } | undefined>("id", "logical_date"),
    );
    expect(segmentsRun.logical_date.toISOString()).toBe("2024-03-01T00:00:00.000Z");
    expect(await waitForRunEnd(env.db, segmentsRun.id)).toBe("success");
    const segments = await env.db.raw("SELECT sum(customers)::int AS n FROM warehouse.customer_segments WHERE ds = '2024-03-01'");
    expect(segments.rows[0].n).toBe(metrics.count);
    const segmentReads = await env.db("dataset_reads as r").join("datasets as d", "d.id", "r.dataset_id").where({ "r.dag_run_id": segmentsRun.id }).select("d.uri", "r.partition");
    expect(segmentReads).toEqual([{ uri: "warehouse.customer_metrics", partition: "2024-03-01" }]);
    const hello = await trigger(engine.rt, "hello");
    expect(await waitForRunEnd(env.db, hello)).toBe("success");
  });

  it("overwrites the same partition identically when a task runs three times for one date", async () => {
    const facts = [];
    const inputs = await testTask(env.config, "customer_analytics", "generate_inputs", { logicalDate: "2024-03-02" }, () => undefined);
    expect(inputs.state).toBe("success");
    for (let i = 0; i < 3; i++) {
      // No run of 2024-03-02 exists: the upstream outputs are given (the tables exist from the run above).
      const upstream = JSON.stringify({ ensure_tables: { schema: "warehouse", tables: [] }, wait_for_orders: true });
      const r = await testTask(env.config, "customer_analytics", "extract_orders", { logicalDate: "2024-03-02", upstream }, () => undefined);
      expect(r.state).toBe("success");
      facts.push(await partitionFacts("raw_orders", "2024-03-02"));
    }
    expect(facts[0]!.count).toBeGreaterThan(0);
    expect(facts[1]).toEqual(facts[0]);
    expect(facts[2]).toEqual(facts[0]);
  });
});
