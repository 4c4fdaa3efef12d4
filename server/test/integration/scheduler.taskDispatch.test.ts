import { fileURLToPath } from "node:url";
import { QueueEvents } from "bullmq";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../../src/runtime/connections";
import { jobIdFor, TASK_QUEUE } from "../../src/executor/dispatcher";
import { createRun } from "../../src/store/runs";
import { clearTaskInstances, markTaskInstance } from "../../src/store/taskActions";
import { createEngineEnv, startEngine, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

/**
 * The one admission-and-dispatch path (scheduler/taskDispatch.ts), through the defects it
 * replaced: each caller used to commit and dispatch in its own way.
 */
const DAGS = fileURLToPath(new URL("../fixtures/dispatch_dags/", import.meta.url));

let env: EngineEnv;
let engine: Engine;
beforeAll(async () => {
  env = await createEngineEnv("dispatch", { dagsFolder: DAGS });
  engine = await startEngine(env.config);
});
afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

const countByState = async (dagRunId: number): Promise<Record<string, number>> => {
  const rows: Array<{ state: string; n: string }> = await env.db("task_instances").where({ dag_run_id: dagRunId }).groupBy("state").select("state").count({ n: "*" });
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
};

describe("one admission-and-dispatch path", () => {
  it("clear and mark admit within the DAG's maxActiveTasks instead of queueing everything", async () => {
    const done = await trigger(engine.rt, "capped");
    expect(await waitForRunEnd(env.db, done)).toBe("success");
    // No worker and no scheduler: the admission decision each action makes stays visible.
    await engine.close();
    engine = await startEngine(env.config, { scheduler: false, worker: false });
    try {
      const rt = engine.rt;
      const cleared = await clearTaskInstances(env.db, done, {}, rt.dispatch);
      await rt.dispatch.dispatch(cleared);
      expect(cleared.cleared).toHaveLength(3);
      expect(await countByState(done)).toEqual({ queued: 1, scheduled: 2 });

      // Marking the root of a fan-out readies its three downstream tasks: one is admitted.
      const fan = await trigger(rt, "capped_fan");
      await env.db("dag_runs").where({ id: fan }).update({ state: "running" });
      const root: { id: number } = await env.db("task_instances").where({ dag_run_id: fan, task_id: "root" }).first("id");
      const marked = await markTaskInstance(env.db, root.id, "success", false, rt.dispatch);
      await rt.dispatch.dispatch(marked);
      expect(marked.marked).toHaveLength(1);
      expect(await countByState(fan)).toEqual({ success: 1, queued: 1, scheduled: 2 });
    } finally {
      await engine.close();
      engine = await startEngine(env.config);
    }
  });

  it("a clear dry run takes no lock: it answers while a completion holds the run", async () => {
    const runId = await trigger(engine.rt, "capped");
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    const holder = new pg.Client({ connectionString: env.config.databaseUrl });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT runnel_lock_run($1)", [runId]);
      await holder.query("SELECT 1 FROM task_instances WHERE dag_run_id = $1 FOR UPDATE", [runId]);
      const dry = clearTaskInstances(env.db, runId, { dryRun: true }, engine.rt.dispatch);
      const outcome = await Promise.race([dry.then((r) => r.cleared.length), new Promise<string>((r) => setTimeout(() => r("blocked"), 3000))]);
      expect(outcome).toBe(3);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
  });

  it("a backfill run's retry keeps the backfill priority (it does not jump ahead of fresh work)", async () => {
    const loaded = engine.rt.registry.get("retry_later")!;
    const logicalDate = new Date("2024-02-01T00:00:00Z");
    const runId = await createRun(env.db, {
      dagId: "retry_later",
      runId: "backfill__2024-02-01T00:00:00+00:00",
      runType: "backfill",
      logicalDate,
      dataIntervalStart: logicalDate,
      dataIntervalEnd: new Date("2024-02-02T00:00:00Z"),
      versionId: engine.rt.registry.versionId("retry_later")!,
      graph: loaded.serialized,
    });
    const ti = await waitFor("the first try to fail", async () => {
      const row: { id: number; state: string; try_number: number; queue_priority: number } | undefined = await env.db("task_instances").where({ dag_run_id: runId! }).first();
      return row?.state === "up_for_retry" ? row : undefined;
    });
    expect(ti.queue_priority).toBeGreaterThan(0);
    const job = await engine.rt.dispatcher.queue.getJob(jobIdFor(ti.id, ti.try_number));
    expect(job, "the retry's delayed job").toBeDefined();
    expect(await job!.getState()).toBe("delayed");
    // Fresh work carries no BullMQ priority; backfill work, retries included, is prioritized behind it.
    expect(job!.opts.priority ?? 0).toBeGreaterThan(0);
  });

  it("the worker hands the whole job to the runner: a stale delivery of a rescheduled sensor's earlier poke is dropped", async () => {
    const runId = await trigger(engine.rt, "slow_sensor");
    const ti = await waitFor("the sensor to reschedule after its first poke", async () => {
      const row: { id: number; state: string; try_number: number; sensor_pokes: number } | undefined = await env.db("task_instances").where({ dag_run_id: runId }).first();
      return row?.state === "up_for_reschedule" && row.sensor_pokes === 1 ? row : undefined;
    });
    // A stalled copy of the first delivery (poke 0) comes back while the try waits for poke 1.
    const connection = createRedis(env.config.redisUrl, "dispatch-test");
    const events = new QueueEvents(TASK_QUEUE, { connection: connection.duplicate(), prefix: env.config.queuePrefix });
    try {
      await events.waitUntilReady();
      const stale = await engine.rt.dispatcher.queue.add("slow_sensor", { id: ti.id, tryNumber: ti.try_number, poke: 0 }, { jobId: "stale-poke-0" });
      await stale.waitUntilFinished(events, 20_000);
    } finally {
      await events.close();
      connection.disconnect();
    }
    const after: { state: string; sensor_pokes: number } = await env.db("task_instances").where({ id: ti.id }).first();
    expect(after).toMatchObject({ state: "up_for_reschedule", sensor_pokes: 1 });
  });
});
