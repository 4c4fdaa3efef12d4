import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { triggerRun } from "../../src/scheduler/triggerRun";
import { setDagPaused } from "../../src/store/dags";
import { downstreamOfPartition } from "../../src/store/downstreamImpact";
import { findDatasetId } from "../../src/store/partitionWrites";
import { createEngineEnv, startEngine, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

const DAGS = fileURLToPath(new URL("../fixtures/dataset_schedule_dags/", import.meta.url));

let env: EngineEnv;
let engine: Engine;

interface TriggeredRun {
  id: number;
  run_id: string;
  run_type: string;
  logical_date: Date;
  data_interval_start: Date;
  data_interval_end: Date;
  trigger_event_id: string | null;
}

async function runsOf(dagId: string): Promise<TriggeredRun[]> {
  return env.db("dag_runs").where({ dag_id: dagId }).orderBy("logical_date").select("id", "run_id", "run_type", "logical_date", "data_interval_start", "data_interval_end", "trigger_event_id");
}

/** Runs a producer DAG for a day and waits for it to succeed; returns the id of the dataset event it recorded. */
async function produce(dagId: string, day: string, runId?: string): Promise<number> {
  const loaded = engine.rt.registry.get(dagId)!;
  const { dagRunId: id } = await triggerRun(env.db, loaded, engine.rt.registry.versionId(dagId)!, { logicalDate: new Date(`${day}T00:00:00Z`), runId });
  await expect(waitForRunEnd(env.db, id)).resolves.toBe("success");
  const event = await env.db("dataset_events").where({ dag_run_id: id }).first<{ id: string }>("id");
  return Number(event!.id);
}

async function waitForRuns(dagId: string, count: number): Promise<TriggeredRun[]> {
  return waitFor(`${count} runs of ${dagId}`, async () => {
    const runs = await runsOf(dagId);
    return runs.length >= count ? runs : undefined;
  });
}

/** Two scheduler passes: whatever the leader would create from the events so far exists after them. */
async function settle(): Promise<void> {
  await engine.scheduler!.tick();
  await engine.scheduler!.tick();
}

beforeAll(async () => {
  env = await createEngineEnv("dsched", { dagsFolder: DAGS });
  await env.db.raw(`CREATE SCHEMA IF NOT EXISTS dsched;
    CREATE TABLE dsched.orders (ds text NOT NULL, n integer NOT NULL);
    CREATE TABLE dsched.customers (ds text NOT NULL, n integer NOT NULL);`);
  engine = await startEngine(env.config);
});

afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

describe("data-aware scheduling (schedule: { datasets })", () => {
  it("runs the consumer once per newly written partition, with that partition's date as its logical date", async () => {
    const eventId = await produce("ds_orders", "2024-05-01");
    const [run] = await waitForRuns("ds_on_orders", 1);
    expect(run!.run_type).toBe("dataset_triggered");
    expect(run!.run_id).toBe("dataset_triggered__2024-05-01T00:00:00.000Z");
    expect(run!.logical_date.toISOString()).toBe("2024-05-01T00:00:00.000Z");
    expect(run!.data_interval_end.toISOString()).toBe("2024-05-02T00:00:00.000Z");
    expect(Number(run!.trigger_event_id)).toBe(eventId);
    await expect(waitForRunEnd(env.db, run!.id)).resolves.toBe("success");
    const ti = await env.db("task_instances").where({ dag_run_id: run!.id, task_id: "report" }).first<{ output: unknown }>("output");
    expect(ti!.output).toEqual({ partition: "2024-05-01", ds: "2024-05-01" });
  });

  it("does not start a second run when a partition is rewritten, and does for a new partition", async () => {
    await produce("ds_orders", "2024-05-01", "manual__rewrite");
    await settle();
    expect((await runsOf("ds_on_orders")).map((r) => r.run_id)).toEqual(["dataset_triggered__2024-05-01T00:00:00.000Z"]);
    await produce("ds_orders", "2024-05-02");
    const runs = await waitForRuns("ds_on_orders", 2);
    expect(runs.map((r) => r.logical_date.toISOString())).toEqual(["2024-05-01T00:00:00.000Z", "2024-05-02T00:00:00.000Z"]);
  });

  it("with several datasets, waits until every one has the partition", async () => {
    // dsched.orders already has 2024-05-01 and 2024-05-02; customers has nothing yet.
    await settle();
    expect(await runsOf("ds_on_both")).toEqual([]);
    await produce("ds_customers", "2024-05-02");
    const [run] = await waitForRuns("ds_on_both", 1);
    expect(run!.logical_date.toISOString()).toBe("2024-05-02T00:00:00.000Z");
    await settle();
    expect(await runsOf("ds_on_both")).toHaveLength(1);
  });

  it("creates nothing while the DAG is paused, and catches up on the writes when it is unpaused", async () => {
    await setDagPaused(env.db, "ds_on_orders", true);
    await produce("ds_orders", "2024-05-03");
    await settle();
    expect(await runsOf("ds_on_orders")).toHaveLength(2);
    await setDagPaused(env.db, "ds_on_orders", false);
    const runs = await waitForRuns("ds_on_orders", 3);
    expect(runs[2]!.logical_date.toISOString()).toBe("2024-05-03T00:00:00.000Z");
  });

  it("lists the runs a write triggered in the partition's downstream impact", async () => {
    const impact = await downstreamOfPartition(env.db, { datasetId: (await findDatasetId(env.db, "dsched.orders"))!, uri: "dsched.orders", partition: "2024-05-02" });
    const tasks = impact.tasks.map((t) => `${t.dagId}.${t.taskId}:${t.reason}`).sort();
    expect(tasks).toEqual(["ds_on_both.join:triggered", "ds_on_orders.report:triggered"]);
    expect(impact.runs.map((r) => r.runId).sort()).toEqual(["dataset_triggered__2024-05-02T00:00:00.000Z", "dataset_triggered__2024-05-02T00:00:00.000Z"]);
  });

  it("shows the datasets as the schedule in the DAG list", async () => {
    const row = await env.db("dags").where({ dag_id: "ds_on_both" }).first<{ schedule: string | null; schedule_datasets: string[] | null }>("schedule", "schedule_datasets");
    expect(row).toEqual({ schedule: null, schedule_datasets: ["dsched.orders", "dsched.customers"] });
  });
});
