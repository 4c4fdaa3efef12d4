import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wakeListenerOf } from "../../src/runtime/services";
import { createBackfill } from "../../src/scheduler/createBackfill";
import { triggerRun } from "../../src/scheduler/triggerRun";
import { createDb, type Db } from "../../src/store/db";
import { runRunnel } from "../helpers/cli";
import { createEngineEnv, startEngine, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

/**
 * Wake, don't wait: with the interval tick 60 s away, a run created by a trigger (in this
 * process, on another connection, by the CLI), a backfill or a dataset write starts within
 * seconds, because its commit wakes the schedulers (NOTIFY runnel_wake, LISTENed on a dedicated
 * connection). Without the wake each of these waits for the next tick and times out here.
 */

const BACKFILL_DAGS = fileURLToPath(new URL("../fixtures/backfill_dags/", import.meta.url));
const DATASET_DAGS = fileURLToPath(new URL("../fixtures/dataset_schedule_dags/", import.meta.url));
/** No tick within a test's time: only a wake can start anything. */
const NO_TICK = { schedulerIntervalMs: 60_000, reconcileIntervalMs: 60_000 };
/** Far below NO_TICK, far above a wake on a loaded machine. */
const STARTS_WITHIN_MS = 10_000;

/** Waits until the first task of run `dagRunId` has started; fails after STARTS_WITHIN_MS. */
async function firstTaskStarted(db: Db, dagRunId: number): Promise<void> {
  await waitFor(
    `a task of run ${dagRunId} to start`,
    async () => {
      const row = await db("task_instances").where({ dag_run_id: dagRunId }).whereNotNull("start_date").first<{ id: number } | undefined>("id");
      return row ? true : undefined;
    },
    STARTS_WITHIN_MS,
  );
}

/** The backend of the scheduler's LISTEN connection in this test's database. */
async function listenerPid(db: Db, other?: number): Promise<number | undefined> {
  const r = await db.raw<{ rows: { pid: number }[] }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'runnel-wake' AND query ILIKE 'LISTEN%' AND pid IS DISTINCT FROM ?",
    [other ?? null],
  );
  return r.rows[0]?.pid;
}

describe("a trigger wakes the scheduler", () => {
  let env: EngineEnv;
  let engine: Engine;
  /** Another process's pool: its triggers reach the scheduler only through NOTIFY. */
  let elsewhere: Db;

  const manualOnly = () => ({ loaded: engine.rt.registry.get("manual_only")!, versionId: engine.rt.registry.versionId("manual_only")! });

  beforeAll(async () => {
    env = await createEngineEnv("wake", { dagsFolder: BACKFILL_DAGS, ...NO_TICK });
    engine = await startEngine(env.config);
    await wakeListenerOf(engine.rt)!.whenListening();
    elsewhere = createDb(env.tdb.url, { applicationName: "runnel-test-elsewhere" });
  });

  afterAll(async () => {
    await elsewhere?.destroy();
    await engine?.close();
    await env?.drop();
  });

  it("starts a run triggered in this process at once, each time", async () => {
    for (let i = 0; i < 3; i++) {
      const id = await trigger(engine.rt, "manual_only");
      await firstTaskStarted(env.db, id);
      await expect(waitForRunEnd(env.db, id)).resolves.toBe("success");
    }
  });

  it("starts a run triggered on another connection (NOTIFY), and every run of a burst", async () => {
    const { loaded, versionId } = manualOnly();
    const one = await triggerRun(elsewhere, loaded, versionId, { runId: "elsewhere_1" });
    await firstTaskStarted(env.db, one.dagRunId);
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => triggerRun(elsewhere, loaded, versionId, { runId: `burst_${i}` })));
    for (const r of burst) await firstTaskStarted(env.db, r.dagRunId);
  });

  it("starts a run triggered by the CLI (`runnel dags trigger`, another process)", async () => {
    const out = await runRunnel({ ...env.childEnv, RUNNEL_DAGS_FOLDER: BACKFILL_DAGS }, "dags", "trigger", "manual_only");
    expect(out.code, out.stderr).toBe(0);
    const { dagRunId } = JSON.parse(out.stdout) as { dagRunId: number };
    await firstTaskStarted(env.db, dagRunId);
  });

  it("launches and starts a new backfill's runs at once", async () => {
    const daily = engine.rt.registry.get("daily_one")!;
    const { id } = await createBackfill(elsewhere, daily, { from: "2024-03-01", to: "2024-03-03", reprocess: "missing", maxActiveRuns: 3, conf: { sleepMs: 0 } }, 100);
    const runs = await waitFor(
      `backfill ${id}'s 3 runs`,
      async () => {
        const rows = await env.db("dag_runs").where({ backfill_id: id }).select<{ id: number }[]>("id");
        return rows.length === 3 ? rows : undefined;
      },
      STARTS_WITHIN_MS,
    );
    for (const r of runs) await firstTaskStarted(env.db, r.id);
  });

  it("listens again after its connection is cut, and wakes still work", async () => {
    const before = await waitFor("the LISTEN connection", () => listenerPid(env.db));
    await env.db.raw("SELECT pg_terminate_backend(?)", [before]);
    await waitFor("a new LISTEN connection", () => listenerPid(env.db, before), STARTS_WITHIN_MS);
    await wakeListenerOf(engine.rt)!.whenListening();
    // Back, it wakes once on its own (for what was sent while it was away); the second run can
    // only have been started by a notification received on the new connection.
    const { loaded, versionId } = manualOnly();
    for (const runId of ["after_reconnect_1", "after_reconnect_2"]) {
      const run = await triggerRun(elsewhere, loaded, versionId, { runId });
      await firstTaskStarted(env.db, run.dagRunId);
    }
  });
});

describe("a dataset write wakes the leader", () => {
  let env: EngineEnv;
  let engine: Engine;

  beforeAll(async () => {
    env = await createEngineEnv("wakeds", { dagsFolder: DATASET_DAGS, ...NO_TICK });
    await env.db.raw(`CREATE SCHEMA IF NOT EXISTS dsched;
      CREATE TABLE dsched.orders (ds text NOT NULL, n integer NOT NULL);
      CREATE TABLE dsched.customers (ds text NOT NULL, n integer NOT NULL);`);
    engine = await startEngine(env.config);
    await wakeListenerOf(engine.rt)!.whenListening();
    // The first tick made this scheduler the leader (and set the consumers' dataset cursors).
    await waitFor("the first tick", async () => ((await env.db("dataset_schedule_cursors").first<{ dag_id: string } | undefined>("dag_id")) ? true : undefined));
  });

  afterAll(async () => {
    await engine?.close();
    await env?.drop();
  });

  it("creates and starts the dataset-triggered run as soon as the partition is written", async () => {
    const id = await trigger(engine.rt, "ds_orders", {}, new Date("2024-06-01T00:00:00Z"));
    await expect(waitForRunEnd(env.db, id)).resolves.toBe("success");
    const run = await waitFor(
      "the dataset-triggered run of ds_on_orders",
      async () => (await env.db("dag_runs").where({ dag_id: "ds_on_orders" }).first<{ id: number } | undefined>("id")) ?? undefined,
      STARTS_WITHIN_MS,
    );
    await firstTaskStarted(env.db, run.id);
  });
});
