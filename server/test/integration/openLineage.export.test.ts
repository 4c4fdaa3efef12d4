import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { warehouseNaming, type RunEvent } from "../../src/obs/openLineage/events";
import { createEngineEnv, startEngine, taskStates, trigger, waitForRunEnd, type EngineEnv } from "../helpers/engine";
import { runEventProblems } from "../helpers/openLineageSchema";

const OL_DAGS = fileURLToPath(new URL("../fixtures/openlineage_dags/", import.meta.url));
const DS = "2024-05-06";

let env: EngineEnv;
let events: RunEvent[];
let runId: number;

beforeAll(async () => {
  env = await createEngineEnv("ol_file", { dagsFolder: OL_DAGS });
  const file = join(env.scratch, "lineage", "events.jsonl");
  const config = { ...env.config, openLineage: { url: null, file, namespace: "runnel-test", datasetNamespace: null } };
  await env.db.raw("CREATE SCHEMA IF NOT EXISTS warehouse");
  await env.db.raw("CREATE TABLE warehouse.ol_orders (ds date NOT NULL, order_id text NOT NULL, amount numeric)");
  await env.db.raw("CREATE TABLE warehouse.ol_audit (ds date NOT NULL, note text)");
  const engine = await startEngine(config);
  try {
    runId = await trigger(engine.rt, "lineage_export", {}, new Date(`${DS}T00:00:00Z`));
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
  } finally {
    // Closing the worker flushes the events still buffered: nothing is read before that.
    await engine.close();
  }
  const text = await readFile(file, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  events = text.trimEnd().split("\n").map((line) => JSON.parse(line) as RunEvent);
});

afterAll(async () => {
  await env?.drop();
});

function eventsOf(taskId: string): RunEvent[] {
  return events.filter((e) => e.job.name === `lineage_export.${taskId}`);
}

describe("OpenLineage export to a file", () => {
  it("writes only spec-valid RunEvents (trimmed OpenLineage 2-0-2 schema)", () => {
    expect(events.length).toBeGreaterThanOrEqual(10);
    for (const e of events) expect({ job: e.job.name, type: e.eventType, problems: runEventProblems(e) }).toEqual({ job: e.job.name, type: e.eventType, problems: [] });
  });

  it("reports START then COMPLETE with one run id per try, parented to the DAG run", async () => {
    expect(await taskStates(env.db, runId)).toEqual({ load_orders: "success", summarize: "success", flaky: "success", explode: "failed" });
    const parents = new Set(events.map((e) => e.run.facets.parent.run.runId));
    expect(parents.size).toBe(1);
    for (const taskId of ["load_orders", "summarize"]) {
      const own = eventsOf(taskId);
      expect(own.map((e) => e.eventType)).toEqual(["START", "COMPLETE"]);
      expect(own[0]!.run.runId).toBe(own[1]!.run.runId);
      expect(Date.parse(own[0]!.eventTime)).toBeLessThanOrEqual(Date.parse(own[1]!.eventTime));
      expect(own[0]!.job.namespace).toBe("runnel-test");
      expect(own[0]!.run.facets.parent.job).toEqual({ namespace: "runnel-test", name: "lineage_export" });
    }
    // Different tasks are different runs.
    expect(eventsOf("load_orders")[0]!.run.runId).not.toBe(eventsOf("summarize")[0]!.run.runId);
  });

  it("lists declared inputs and outputs, and adds the datasets actually written to COMPLETE", () => {
    const dbName = new URL(env.config.warehouseUrl).pathname.slice(1);
    const ns = warehouseNaming(env.config.warehouseUrl, "warehouse").warehouseNamespace;
    expect(ns).toMatch(/^postgres:\/\/[^/]+:\d+$/);
    const [start, complete] = eventsOf("load_orders");
    const declaredIn = [
      { namespace: ns, name: `${dbName}.raw.orders_src` },
      { namespace: "file", name: "/srv/in/orders.csv" },
    ];
    expect(start!.inputs).toEqual(declaredIn);
    expect(start!.outputs).toEqual([{ namespace: ns, name: `${dbName}.warehouse.ol_orders` }]);
    expect(complete!.inputs).toEqual(declaredIn);
    // ol_orders is declared and written (listed once); ol_audit is written without being declared.
    expect(complete!.outputs).toEqual([
      { namespace: ns, name: `${dbName}.warehouse.ol_orders` },
      { namespace: ns, name: `${dbName}.warehouse.ol_audit` },
    ]);
    expect(eventsOf("summarize")[1]!.inputs).toEqual([{ namespace: ns, name: `${dbName}.warehouse.ol_orders` }]);
  });

  it("reports FAIL with the error for a failed try, and a retry as a new run", () => {
    const explode = eventsOf("explode");
    expect(explode.map((e) => e.eventType)).toEqual(["START", "FAIL"]);
    expect(explode[1]!.run.runId).toBe(explode[0]!.run.runId);
    expect(explode[1]!.run.facets.errorMessage?.message).toBe("bad input");

    const flaky = eventsOf("flaky");
    expect(flaky.map((e) => e.eventType)).toEqual(["START", "FAIL", "START", "COMPLETE"]);
    expect(flaky[0]!.run.runId).toBe(flaky[1]!.run.runId);
    expect(flaky[2]!.run.runId).toBe(flaky[3]!.run.runId);
    expect(flaky[2]!.run.runId).not.toBe(flaky[0]!.run.runId);
  });
});
