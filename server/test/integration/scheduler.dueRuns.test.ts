import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/obs/logger";
import { Runtime } from "../../src/runtime/runtime";
import { LeaderLock } from "../../src/scheduler/leaderLock";
import { SchedulerLoop } from "../../src/scheduler/schedulerLoop";
import { setDagPaused } from "../../src/store/dags";
import { countStatements } from "../helpers/countStatements";
import { createEngineEnv, type EngineEnv } from "../helpers/engine";
import { dagFile, scratchDags, type ScratchDags } from "../helpers/scratchDags";

function loopAt(env: EngineEnv, rt: Runtime, now: () => Date): SchedulerLoop {
  return new SchedulerLoop({
    db: rt.db,
    registry: rt.registry,
    dispatch: rt.dispatch,
    dispatcher: rt.dispatcher,
    leader: new LeaderLock(env.config.databaseUrl),
    log: silentLogger(),
    intervalMs: 60_000,
    reconcileIntervalMs: 3_600_000,
    zombieTimeoutMs: 60_000,
    now,
  });
}

/** The statements of one idle leader tick with `count` daily DAGs whose first interval has not closed yet. */
async function idleTickStatements(count: number): Promise<number> {
  const dags = await scratchDags(`idle${count}`);
  let env: EngineEnv | undefined;
  let rt: Runtime | undefined;
  let loop: SchedulerLoop | undefined;
  try {
    for (let i = 0; i < count; i++) await dags.write(`d${i}.ts`, dagFile(`idle_${i}`, `schedule: "@daily", startDate: "2020-01-01", catchup: false`));
    env = await createEngineEnv(`idle${count}`, { dagsFolder: dags.dir });
    rt = await Runtime.open(env.config, { component: "test", migrate: true, syncDags: true, logger: silentLogger() });
    expect(rt.registry.list()).toHaveLength(count);
    loop = loopAt(env, rt, () => new Date("2020-01-01T12:00:00Z"));
    // The first ticks store every DAG's next-run time and do the first reconcile.
    await loop.tick();
    await loop.tick();
    const { count: n, texts } = await countStatements(() => loop!.tick());
    expect(await rt.db("dag_runs").count<{ n: string }[]>("* as n").then((r) => Number(r[0]!.n))).toBe(0);
    expect(n, texts.join("\n---\n")).toBeLessThan(20);
    return n;
  } finally {
    await loop?.stop();
    await rt?.close();
    await env?.drop();
    await dags.remove();
  }
}

describe("the leader's idle tick", () => {
  it("runs the same number of statements at 10 and at 300 DAGs", async () => {
    const at10 = await idleTickStatements(10);
    const at300 = await idleTickStatements(300);
    expect(at300).toBe(at10);
  }, 180_000);
});

describe("runs created from the stored next-run time", () => {
  let dags: ScratchDags;
  let env: EngineEnv;
  let rt: Runtime;
  let now = new Date("2020-01-03T12:00:00Z");
  let loop: SchedulerLoop;

  beforeAll(async () => {
    dags = await scratchDags("dueruns");
    await dags.write("cu.ts", dagFile("cu", `schedule: "@daily", startDate: "2020-01-01", catchup: true, maxActiveRuns: 2`));
    await dags.write("lo.ts", dagFile("lo", `schedule: "@daily", startDate: "2020-01-01", catchup: false`));
    await dags.write("pz.ts", dagFile("pz", `schedule: "@daily", startDate: "2020-01-01", catchup: true`));
    await dags.write("sc.ts", dagFile("sc", `schedule: "@daily", startDate: "2020-01-01", catchup: false`));
    await dags.write("mo.ts", dagFile("mo", `schedule: null`));
    env = await createEngineEnv("dueruns", { dagsFolder: dags.dir });
    rt = await Runtime.open(env.config, { component: "test", migrate: true, syncDags: true, logger: silentLogger() });
    expect(rt.registry.importErrors()).toEqual([]);
    await setDagPaused(rt.db, "pz", true);
    loop = loopAt(env, rt, () => now);
  });
  afterAll(async () => {
    await loop?.stop();
    await rt?.close();
    await env?.drop();
    await dags?.remove();
  });

  const logicalDates = async (dagId: string): Promise<string[]> =>
    (await rt.db("dag_runs").where({ dag_id: dagId }).orderBy("logical_date").pluck("logical_date")).map((d: Date) => d.toISOString());
  const nextRun = async (dagId: string): Promise<string | null> => {
    const row = await rt.db("dags").where({ dag_id: dagId }).first<{ t: string | null } | undefined>(rt.db.raw("next_dagrun_create_after::text AS t"));
    return row?.t ?? null;
  };
  const endRuns = (dagId: string) => rt.db("dag_runs").where({ dag_id: dagId }).whereIn("state", ["queued", "running"]).update({ state: "success", end_date: rt.db.fn.now() });

  it("creates the closed intervals (catchup within maxActiveRuns, latest only without) and stores the next time", async () => {
    await loop.tick();
    expect(await logicalDates("cu")).toEqual(["2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z"]);
    expect(await logicalDates("lo")).toEqual(["2020-01-02T00:00:00.000Z"]);
    expect(await logicalDates("pz")).toEqual([]);
    expect(await logicalDates("mo")).toEqual([]);
    // Each run's data interval is [logical date, next fire time).
    const run = await rt.db("dag_runs").where({ dag_id: "lo" }).first("data_interval_start", "data_interval_end", "run_type");
    expect([run.data_interval_start.toISOString(), run.data_interval_end.toISOString(), run.run_type]).toEqual(["2020-01-02T00:00:00.000Z", "2020-01-03T00:00:00.000Z", "scheduled"]);
    // The next interval (01-03) closes at 01-04 00:00 for both; a manual-only DAG has no next time.
    expect(await nextRun("lo")).toMatch(/^2020-01-04 00:00:00/);
    expect(await nextRun("cu")).toMatch(/^2020-01-04 00:00:00/);
    expect(await nextRun("mo")).toBeNull();
  });

  it("waits for room under maxActiveRuns, then catches up oldest first; backfill runs take no room", async () => {
    now = new Date("2020-01-06T12:00:00Z");
    // A backfill run of cu: it must not take a scheduled run's room.
    await rt.db("dag_runs").insert({ dag_id: "cu", run_id: "backfill__x", run_type: "backfill", state: "running", logical_date: new Date("2019-12-01T00:00:00Z"), data_interval_start: new Date("2019-12-01T00:00:00Z"), data_interval_end: new Date("2019-12-02T00:00:00Z"), dag_version_id: rt.registry.versionId("cu") });
    await loop.tick();
    expect(await logicalDates("cu")).toEqual(["2019-12-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z"]);
    expect(await logicalDates("lo")).toEqual(["2020-01-02T00:00:00.000Z", "2020-01-05T00:00:00.000Z"]);
    await endRuns("cu");
    await rt.db("dag_runs").where({ dag_id: "cu", run_type: "backfill" }).update({ state: "running" });
    await loop.tick();
    expect((await logicalDates("cu")).slice(3)).toEqual(["2020-01-03T00:00:00.000Z", "2020-01-04T00:00:00.000Z"]);
    // Still behind (01-05 has closed): the stored time says so.
    expect(await nextRun("cu")).toMatch(/^2020-01-06 00:00:00/);
    await endRuns("cu");
    await loop.tick();
    expect((await logicalDates("cu")).slice(5)).toEqual(["2020-01-05T00:00:00.000Z"]);
    expect(await nextRun("cu")).toMatch(/^2020-01-07 00:00:00/);
    await loop.tick();
    expect(await logicalDates("cu")).toHaveLength(6);
  });

  it("creates nothing for a paused DAG, and catches up once it is unpaused", async () => {
    await loop.tick();
    expect(await logicalDates("pz")).toEqual([]);
    await setDagPaused(rt.db, "pz", false);
    await loop.tick();
    expect(await logicalDates("pz")).toEqual(["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05"].map((d) => `${d}T00:00:00.000Z`));
  });

  it("a reload that changes the schedule makes the DAG due at once under its new schedule", async () => {
    // Created on the days before: 01-02 at 01-03 12:00, 01-05 at 01-06 12:00 (now).
    expect(await logicalDates("sc")).toEqual(["2020-01-02T00:00:00.000Z", "2020-01-05T00:00:00.000Z"]);
    expect(await nextRun("sc")).toMatch(/^2020-01-07 00:00:00/);
    await dags.write("sc.ts", dagFile("sc", `schedule: "0 * * * *", startDate: "2020-01-01", catchup: false`));
    expect((await rt.registry.refresh()).changed).toBe(true);
    await loop.tick();
    // Hourly now: the latest closed hour [11:00, 12:00) gets its run at once, not at 01-07.
    expect(await logicalDates("sc")).toEqual(["2020-01-02T00:00:00.000Z", "2020-01-05T00:00:00.000Z", "2020-01-06T11:00:00.000Z"]);
    expect(await nextRun("sc")).toMatch(/^2020-01-06 13:00:00/);
    // Nothing else changes on a reload that keeps the schedule.
    await dags.write("sc.ts", dagFile("sc", `schedule: "0 * * * *", startDate: "2020-01-01", catchup: false, tags: ["x"]`));
    await rt.registry.refresh();
    expect(await nextRun("sc")).toMatch(/^2020-01-06 13:00:00/);
  });
});
