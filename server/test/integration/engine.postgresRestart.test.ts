import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config";
import { startEngine, trigger, waitFor, type Engine } from "../helpers/engine";
import { startRestartablePostgres, type RestartablePostgres } from "../helpers/restartablePostgres";
import { testQueuePrefix, TEST_REDIS_URL } from "../helpers/testDb";

const RESTART_DAGS = fileURLToPath(new URL("../fixtures/restart_dags/", import.meta.url));

let pgServer: RestartablePostgres | undefined;
let engine: Engine | undefined;

beforeAll(async () => {
  pgServer = await startRestartablePostgres("pgrestart", 27_400);
}, 120_000);
afterAll(async () => {
  await engine?.close().catch(() => undefined);
  await pgServer?.destroy();
}, 60_000);

describe("a PostgreSQL restart in the middle of runs", () => {
  it("strands nothing: every run succeeds within 60 s of Postgres answering again, and no task instance succeeds twice", async () => {
    const server = pgServer!;
    const databaseUrl = await server.createDatabase("runnel");
    const config = loadConfig(
      { DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, RUNNEL_QUEUE_PREFIX: testQueuePrefix("pgrestart"), RUNNEL_DAGS_FOLDER: RESTART_DAGS, RUNNEL_LOG_LEVEL: "fatal" },
      { schedulerIntervalMs: 100, reconcileIntervalMs: 1000, workerConcurrency: 6 },
    );
    engine = await startEngine(config);
    const { rt } = engine;
    const runIds: number[] = [];
    for (let i = 0; i < 3; i++) runIds.push(await trigger(rt, "chains", {}, new Date(Date.UTC(2024, 0, 1 + i))));
    for (let i = 0; i < 3; i++) runIds.push(await trigger(rt, "fanout", {}, new Date(Date.UTC(2024, 0, 1 + i))));
    const openRuns = async () => Number((await rt.db("dag_runs").whereIn("id", runIds).whereNotIn("state", ["success", "failed"]).count<{ n: string }[]>("* as n"))[0]!.n);

    // Let the runs get going, then take Postgres away while tries are queued and running: among
    // them a 2.5 s leaf0 that started less than a second ago, so at least one try outlasts the
    // shutdown (which can take a while on a loaded machine) and must write its outcome after it.
    await waitFor("some tasks to succeed and a long try to have just started", async () => {
      const n = Number((await rt.db("task_instances").where({ state: "success" }).count<{ n: string }[]>("* as n"))[0]!.n);
      const long = await rt.db("task_instances").where({ task_id: "leaf0", state: "running" }).whereRaw("start_date > clock_timestamp() - interval '1 second'").first();
      return n >= 4 && long ? n : undefined;
    });
    expect(await openRuns()).toBe(runIds.length);
    const stopping = new Date();
    await server.stop();
    await new Promise((r) => setTimeout(r, 8000)); // the outage itself: nothing to await
    await server.start();
    const back = Date.now();

    const states = await waitFor(
      "every run to end",
      async () => {
        const rows = await rt.db("dag_runs").whereIn("id", runIds).select<{ state: string }[]>("state");
        return rows.every((r) => r.state === "success" || r.state === "failed") ? rows.map((r) => r.state) : undefined;
      },
      60_000,
      200,
    ).catch(async (err: unknown) => {
      const stuck = await rt.db("task_instances").whereIn("dag_run_id", runIds).whereNot({ state: "success" }).select("state").count("* as n").groupBy("state");
      throw new Error(`${(err as Error).message}; task instances not succeeded by state: ${JSON.stringify(stuck)}`);
    });
    const seconds = (Date.now() - back) / 1000;
    console.info(`all ${runIds.length} runs ended ${seconds.toFixed(1)} s after PostgreSQL answered again`);
    expect(states).toEqual(runIds.map(() => "success"));
    expect(seconds).toBeLessThan(60);
    // Some tries were running when Postgres went away: their outcome was written after it came back, once.
    const spanning = await rt.db("task_attempts").where("start_date", "<", stopping).where("end_date", ">", new Date(back)).count<{ n: string }[]>("* as n");
    expect(Number(spanning[0]!.n)).toBeGreaterThan(0);
    // No job was failed in BullMQ for the outage: each was handed back instead.
    expect(await rt.dispatcher.queue.getFailedCount()).toBe(0);
    const twice = await rt.db("task_attempts").where({ state: "success" }).select("task_instance_id").count("* as n").groupBy("task_instance_id").havingRaw("count(*) > 1");
    expect(twice).toEqual([]);
    const succeeded = await rt.db("task_instances").whereIn("dag_run_id", runIds).where({ state: "success" }).count<{ n: string }[]>("* as n");
    expect(Number(succeeded[0]!.n)).toBe(3 * 15 + 3 * 14);
  }, 180_000);
});
