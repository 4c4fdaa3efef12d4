import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countActiveRuns, createRun } from "../../src/store/runs";
import { existingRunsInRange } from "../../src/store/backfills";
import { startRunNow } from "../../src/store/runControl";
import { runRunnel, type CliResult } from "../helpers/cli";
import { createEngineEnv, REPO_DAGS, startEngine, waitFor, waitForRunEnd, type EngineEnv } from "../helpers/engine";

const DAGS = fileURLToPath(new URL("../fixtures/test_command_dags/", import.meta.url));

let env: EngineEnv;
let childEnv: NodeJS.ProcessEnv;
/** The scheduled run of tc_pipeline for 2024-03-01, run by a real scheduler and worker. */
let realRun: { id: number; run_id: string };

const runnel = (...args: string[]): Promise<CliResult> => runRunnel(childEnv, ...args);

const HISTORY = ["dag_runs", "task_instances", "task_attempts", "task_logs", "dead_letters", "dataset_events", "dataset_reads"] as const;

/** Row counts of every table of Runnel's history. */
async function historyCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of HISTORY) out[table] = Number((await env.db(table).count<{ n: string }[]>("* as n"))[0]!.n);
  return out;
}

async function scaledValue(ds: string): Promise<number | undefined> {
  const r = await env.db.raw<{ rows: Array<{ value: number }> }>("SELECT value FROM tc.scaled WHERE ds = ?", [ds]);
  return r.rows[0]?.value;
}

beforeAll(async () => {
  env = await createEngineEnv("clitest", { dagsFolder: DAGS });
  childEnv = { ...env.childEnv, RUNNEL_DAGS_FOLDER: DAGS };
  await env.db.raw(`CREATE SCHEMA IF NOT EXISTS tc;
    CREATE TABLE tc.source (ds text NOT NULL, n integer NOT NULL);
    CREATE TABLE tc.scaled (ds text NOT NULL, value integer NOT NULL);`);
  // A real history to test against: the scheduler creates tc_pipeline's one scheduled run
  // (2024-03-01), the worker runs it, and its write of tc.scaled starts tc_downstream.
  const engine = await startEngine(env.config);
  try {
    realRun = await waitFor("the scheduled run of tc_pipeline", async () => env.db("dag_runs").where({ dag_id: "tc_pipeline", run_type: "scheduled" }).first<{ id: number; run_id: string } | undefined>("id", "run_id"));
    expect(await waitForRunEnd(env.db, realRun.id)).toBe("success");
    const downstream = await waitFor("tc_downstream's run for 2024-03-01", async () => env.db("dag_runs").where({ dag_id: "tc_downstream" }).first<{ id: number } | undefined>("id"));
    expect(await waitForRunEnd(env.db, downstream.id)).toBe("success");
  } finally {
    await engine.close();
  }
}, 60_000);
afterAll(async () => {
  await env?.drop();
});

describe("runnel tasks test", () => {
  it("takes upstream outputs from the latest successful run of the logical date, writes the warehouse and records nothing", async () => {
    await env.db.raw("DELETE FROM tc.scaled");
    const before = await historyCounts();
    const r = await runnel("tasks", "test", "tc_pipeline", "scale", "--logical-date", "2024-03-01");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`upstream source from run ${realRun.run_id}`);
    expect(r.stdout).toContain("[scale] INFO read 1 rows of tc.source");
    // ctx.validate's invalid record is printed, not stored.
    expect(r.stdout).toMatch(/\[scale\] WARN invalid record \(not stored: tasks test\): v: .*\{"record":\{"id":"b","v":"not a number"\},"key":"b"\}/);
    expect(r.stdout).toContain("scale: success");
    expect(r.stdout).toContain('output: {"value":3,"sourceRows":1,"valid":1}');
    expect(await scaledValue("2024-03-01")).toBe(3);
    // Without --logical-date: the schedule's latest complete interval (its end date clips it to 2024-03-01).
    const latest = await runnel("tasks", "test", "tc_pipeline", "scale");
    expect(latest.code).toBe(0);
    expect(latest.stdout).toContain("testing tc_pipeline.scale for logical date 2024-03-01T00:00:00.000Z (partition 2024-03-01)");
    expect(latest.stdout).toContain(`upstream source from run ${realRun.run_id}`);
    expect(await historyCounts()).toEqual(before);
  });

  it("uses --upstream over the stored run's outputs and validates --conf against the DAG's params", async () => {
    const before = await historyCounts();
    const r = await runnel("tasks", "test", "tc_pipeline", "scale", "--logical-date", "2024-03-01", "--upstream", '{"source": {"n": 5}}', "--conf", '{"factor": 2}');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('output: {"value":10,"sourceRows":1,"valid":1}');
    expect(await scaledValue("2024-03-01")).toBe(10);

    const bad = await runnel("tasks", "test", "tc_pipeline", "scale", "--logical-date", "2024-03-01", "--conf", '{"factor": -1}');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--conf: invalid params: factor:");
    expect(bad.stdout).not.toContain("[scale]");
    expect(await scaledValue("2024-03-01")).toBe(10);
    expect(await historyCounts()).toEqual(before);
  });

  it("names the missing upstream outputs and how to pass them, before the task runs", async () => {
    const before = await historyCounts();
    const r = await runnel("tasks", "test", "tc_pipeline", "scale", "--logical-date", "2024-04-01");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("scale needs the output of source, and there is no successful run of tc_pipeline for 2024-04-01T00:00:00.000Z");
    expect(r.stderr).toContain(`--upstream '{"source":"<its output>"}'`);
    expect(r.stdout).not.toContain("[scale]");
    expect(await scaledValue("2024-04-01")).toBeUndefined();

    const unknown = await runnel("tasks", "test", "tc_pipeline", "scale", "--logical-date", "2024-04-01", "--upstream", '{"sauce": 1}');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--upstream names "sauce", which is not an upstream task of scale (upstream: source)');
    expect(await historyCounts()).toEqual(before);
  });

  it("runs the example that used to crash: hello count_letters with its upstream given, or a clear error without", async () => {
    const hello = { ...childEnv, RUNNEL_DAGS_FOLDER: REPO_DAGS };
    const before = await historyCounts();
    const missing = await runRunnel(hello, "tasks", "test", "hello", "count_letters", "--logical-date", "2024-03-01");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("count_letters needs the output of say_hello");
    expect(missing.stderr).not.toContain("Cannot read properties of null");
    const given = await runRunnel(hello, "tasks", "test", "hello", "count_letters", "--logical-date", "2024-03-01", "--upstream", '{"say_hello": {"greeting": "Hi there!"}}');
    expect(given.code).toBe(0);
    expect(given.stdout).toContain("[count_letters] INFO the greeting has 7 letters");
    expect(given.stdout).toContain('output: {"letters":7}');
    expect(await historyCounts()).toEqual(before);
  });

  it("exits 1 on a failing task, printing its error, and opens no dead letter", async () => {
    const before = await historyCounts();
    const r = await runnel("tasks", "test", "tc_fails", "boom");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("[boom] ERROR Error: boom on purpose");
    expect(r.stdout).toContain("boom: failed");
    expect(await historyCounts()).toEqual(before);
  });
});

describe("runnel dags test", () => {
  it("creates a run of type test whose writes start no data-aware run and which opens no dead letters", async () => {
    const r = await runnel("dags", "test", "tc_pipeline", "2024-03-05");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("run state: success");
    const run = await env.db("dag_runs").where({ dag_id: "tc_pipeline", logical_date: new Date("2024-03-05T00:00:00Z") }).first<{ id: number; run_type: string; run_id: string }>("id", "run_type", "run_id");
    expect(run).toMatchObject({ run_type: "test" });
    expect(run!.run_id).toMatch(/^test__2024-03-05T00:00:00\.000Z__\d+$/);
    // Its lineage is kept (the run's page shows what it wrote), its invalid record is only in its log.
    expect(Number((await env.db("dataset_events").where({ dag_run_id: run!.id }).count<{ n: string }[]>("* as n"))[0]!.n)).toBe(2);
    expect(await env.db("dead_letters").where({ dag_run_id: run!.id })).toEqual([]);
    expect(r.stdout).toContain("invalid record (not stored: a dags test run)");

    const failing = await runnel("dags", "test", "tc_fails", "2024-03-05");
    expect(failing.code).toBe(1);
    const failedRun = await env.db("dag_runs").where({ dag_id: "tc_fails" }).first<{ id: number; run_type: string; state: string }>("id", "run_type", "state");
    expect(failedRun).toMatchObject({ run_type: "test", state: "failed" });
    expect(await env.db("dead_letters").where({ dag_run_id: failedRun!.id })).toEqual([]);

    // A scheduler that looks at the events now creates no run of tc_downstream for 2024-03-05.
    const engine = await startEngine(env.config, { worker: false });
    try {
      await engine.scheduler!.tick();
      await engine.scheduler!.tick();
    } finally {
      await engine.close();
    }
    const downstream = await env.db("dag_runs").where({ dag_id: "tc_downstream" }).orderBy("logical_date").pluck("logical_date");
    expect(downstream.map((d: Date) => d.toISOString())).toEqual(["2024-03-01T00:00:00.000Z"]);
  });

  it("does not count a test run for maxActiveRuns or backfills", async () => {
    const version = await env.db("dags").where({ dag_id: "tc_pipeline" }).first<{ latest_version_id: number }>("latest_version_id");
    const graph = (await env.db("dag_versions").where({ id: version!.latest_version_id }).first<{ graph: never }>("graph"))!.graph;
    const at = new Date("2024-02-10T00:00:00Z");
    const id = await createRun(env.db, {
      dagId: "tc_pipeline",
      runId: "test__open",
      runType: "test",
      logicalDate: at,
      dataIntervalStart: at,
      dataIntervalEnd: new Date("2024-02-11T00:00:00Z"),
      versionId: version!.latest_version_id,
      graph,
    });
    expect(await startRunNow(env.db, id!)).toBe(true);
    expect(await countActiveRuns(env.db, "tc_pipeline")).toBe(0);
    expect((await existingRunsInRange(env.db, "tc_pipeline", at, at)).size).toBe(0);
  });
});
