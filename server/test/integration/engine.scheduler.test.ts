import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/obs/logger";
import { Runtime } from "../../src/runtime/runtime";
import { startWorker } from "../../src/runtime/services";
import { LeaderLock } from "../../src/scheduler/leaderLock";
import { SchedulerLoop } from "../../src/scheduler/schedulerLoop";
import { createEngineEnv, REPO_ROOT, RUNNEL_BIN, waitFor, type EngineEnv } from "../helpers/engine";

const SCHEDULED_DAGS = fileURLToPath(new URL("../fixtures/scheduled_dags/", import.meta.url));

describe("run creation from schedules", () => {
  let env: EngineEnv;
  let rt: Runtime;

  beforeAll(async () => {
    env = await createEngineEnv("sched", { dagsFolder: SCHEDULED_DAGS });
    rt = await Runtime.open(env.config, { component: "test", migrate: true, syncDags: true, logger: silentLogger() });
  });
  afterAll(async () => {
    await rt?.close();
    await env?.drop();
  });

  function loopAt(now: Date): SchedulerLoop {
    return new SchedulerLoop({
      db: rt.db,
      registry: rt.registry,
      dispatch: rt.dispatch,
      dispatcher: rt.dispatcher,
      leader: new LeaderLock(env.config.databaseUrl),
      log: silentLogger(),
      intervalMs: 1000,
      reconcileIntervalMs: 60_000,
      zombieTimeoutMs: 60_000,
      now: () => now,
    });
  }

  it("creates a run only once its interval has closed, catches up within maxActiveRuns, and only the latest without catchup", async () => {
    // 2020-01-03 12:00: the intervals of 01-01 and 01-02 have closed, 01-03 has not.
    const loop = loopAt(new Date("2020-01-03T12:00:00Z"));
    await loop.tick();
    const catchup = await rt.db("dag_runs").where({ dag_id: "catchup" }).orderBy("logical_date").select("logical_date", "data_interval_end", "run_type", "state");
    expect(catchup.map((r: { logical_date: Date }) => r.logical_date.toISOString())).toEqual(["2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z"]);
    expect(catchup[0].data_interval_end.toISOString()).toBe("2020-01-02T00:00:00.000Z");
    expect(catchup.every((r: { run_type: string }) => r.run_type === "scheduled")).toBe(true);
    const latest = await rt.db("dag_runs").where({ dag_id: "latest_only" }).pluck("logical_date");
    expect(latest.map((d: Date) => d.toISOString())).toEqual(["2020-01-02T00:00:00.000Z"]);
    await loop.stop();

    // Much later: catchup fills up to maxActiveRuns (3) active runs, never more; latest_only is past its endDate.
    const later = loopAt(new Date("2020-02-01T00:00:00Z"));
    await later.tick();
    await later.tick();
    expect(await rt.db("dag_runs").where({ dag_id: "catchup" }).count<{ n: string }[]>("* as n").then((r) => Number(r[0]!.n))).toBe(3);
    const latest2 = await rt.db("dag_runs").where({ dag_id: "latest_only" }).orderBy("logical_date").pluck("logical_date");
    expect(latest2.map((d: Date) => d.toISOString())).toEqual(["2020-01-02T00:00:00.000Z", "2020-01-10T00:00:00.000Z"]);
    await later.stop();
  });
});

describe("two scheduler processes at once", () => {
  let env: EngineEnv;
  let rt: Runtime;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    env = await createEngineEnv("twosched", { dagsFolder: SCHEDULED_DAGS });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
    await rt?.close();
    await env?.drop();
  });

  it("creates no duplicate run or task instance and runs every task exactly once", async () => {
    const childEnv = { ...env.childEnv, RUNNEL_DAGS_FOLDER: SCHEDULED_DAGS, RUNNEL_SCHEDULER_INTERVAL_MS: "50", RUNNEL_RECONCILE_INTERVAL_MS: "200" };
    for (let i = 0; i < 2; i++) {
      children.push(spawn(process.execPath, [RUNNEL_BIN, "scheduler"], { cwd: REPO_ROOT, env: childEnv, stdio: ["ignore", "ignore", "inherit"] }));
    }
    rt = await Runtime.open(env.config, { component: "test", warehouse: true, logger: silentLogger() });
    startWorker(rt, { concurrency: 4 });
    // catchup: 10 daily runs of 2 tasks; latest_only: 1 run of 1 task.
    await waitFor(
      "all 11 runs to succeed",
      async () => {
        const rows = await env.db("dag_runs").select("state");
        return rows.length === 11 && rows.every((r: { state: string }) => r.state === "success") ? true : undefined;
      },
      60_000,
      100,
    );
    const dupRuns = await env.db.raw("SELECT dag_id, logical_date, count(*) FROM dag_runs GROUP BY 1, 2 HAVING count(*) > 1");
    expect(dupRuns.rows).toEqual([]);
    expect(await env.db("task_instances").count<{ n: string }[]>("* as n").then((r) => Number(r[0]!.n))).toBe(21);
    // Exactly one try and one attempt per task instance: no job was enqueued and run twice.
    const tries = await env.db.raw("SELECT t.try_number, count(a.id)::int AS attempts FROM task_instances t LEFT JOIN task_attempts a ON a.task_instance_id = t.id GROUP BY t.id");
    expect(tries.rows.every((r: { try_number: number; attempts: number }) => r.try_number === 1 && r.attempts === 1)).toBe(true);
    const completed = await rt.dispatcher.queue.getJobCounts("completed", "failed");
    expect(completed.failed).toBe(0);
    expect(completed.completed).toBe(21);
  });
});
