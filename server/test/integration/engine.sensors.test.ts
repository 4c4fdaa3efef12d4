import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlushableRedis, type FlushableRedis } from "../helpers/flushableRedis";
import { recordDatasetEvent } from "../../src/store/lineage";
import { attemptsOf, createEngineEnv, startEngine, taskStates, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

const SENSOR_DAGS = fileURLToPath(new URL("../fixtures/sensor_dags/", import.meta.url));
const LOGICAL = new Date("2024-03-01T00:00:00Z");

async function sensorRows(env: EngineEnv, dagRunId: number): Promise<{ task_id: string; state: string; try_number: number; sensor_pokes: number; next_try_at: Date | null; sensor_started_at: Date | null }[]> {
  return env.db("task_instances").where({ dag_run_id: dagRunId }).select("task_id", "state", "try_number", "sensor_pokes", "next_try_at", "sensor_started_at").orderBy("task_id");
}

async function logsOf(env: EngineEnv, dagRunId: number, taskId: string): Promise<string[]> {
  const rows = await env.db("task_logs as l").join("task_instances as t", "t.id", "l.task_instance_id").where({ "t.dag_run_id": dagRunId, "t.task_id": taskId }).orderBy("l.id").select("l.message");
  return rows.map((r: { message: string }) => r.message);
}

describe("reschedule-mode sensors on 2 worker slots", () => {
  let env: EngineEnv;
  let engine: Engine;
  beforeAll(async () => {
    env = await createEngineEnv("sensors", { dagsFolder: SENSOR_DAGS });
    engine = await startEngine(env.config, { worker: { concurrency: 2 } });
  });
  afterAll(async () => {
    await engine?.close();
    await env?.drop();
  });

  it("50 waiting sensors release their slots: other work finishes promptly, and all sensors complete once the condition holds", async () => {
    const sensing = await trigger(engine.rt, "many_sensors", { scratch: env.scratch });
    await waitFor("every sensor to have poked and released its slot", async () => {
      const rows = await sensorRows(env, sensing);
      return rows.length === 50 && rows.every((r) => r.sensor_pokes >= 1) ? true : undefined;
    });
    const started = Date.now();
    const quick = await trigger(engine.rt, "quick");
    expect(await waitForRunEnd(env.db, quick, 10_000)).toBe("success");
    // In poke mode the 50 sensors would hold both slots until their 60 s timeout.
    expect(Date.now() - started).toBeLessThan(3000);

    const waiting = await sensorRows(env, sensing);
    expect(waiting.every((r) => r.try_number === 1 && r.sensor_started_at !== null)).toBe(true);
    expect(waiting.some((r) => r.state === "up_for_reschedule" && r.next_try_at !== null)).toBe(true);
    writeFileSync(join(env.scratch, "go"), "");
    expect(await waitForRunEnd(env.db, sensing, 30_000)).toBe("success");
    const done = await sensorRows(env, sensing);
    expect(done.every((r) => r.state === "success" && r.try_number === 1)).toBe(true);
    // One attempt per sensor (a reschedule is not a retry), spanning all its pokes.
    const attempts = await attemptsOf(env.db, sensing, "wait_00");
    expect(attempts.map((a) => [a.try_number, a.state])).toEqual([[1, "success"]]);
    const logs = await logsOf(env, sensing, "wait_00");
    expect(logs[0]).toMatch(/^poke 1: not yet; next poke at \d{4}-\d\d-\d\dT/);
    expect(logs.at(-1)).toMatch(/^poke \d+: condition met$/);
  });

  it("times out from the first poke: fails without softFail, skips with it; exponential backoff doubles the interval", async () => {
    const runId = await trigger(engine.rt, "sensor_timeouts", { scratch: env.scratch });
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    expect(await taskStates(env.db, runId)).toEqual({ hard: "failed", soft: "skipped", backoff: "skipped" });
    const hard = await attemptsOf(env.db, runId, "hard");
    expect(hard.map((a) => [a.try_number, a.state, a.error_code])).toEqual([[1, "failed", "NON_RETRYABLE"]]);
    expect(hard[0]!.error).toMatch(/sensor timed out after 400 ms/);
    // The attempt spans the sensor's whole wait, from the first poke.
    // (the last poke is the one after which the next would come at or past the 400 ms deadline)
    expect(hard[0]!.end_date!.getTime() - hard[0]!.start_date.getTime()).toBeGreaterThanOrEqual(300);
    const pokes = readFileSync(join(env.scratch, "backoff.log"), "utf8").trim().split("\n").map(Number);
    const gaps = pokes.slice(1).map((t, i) => t - pokes[i]!);
    // interval 100 ms doubling: pokes at 0, 100, 300, 700; the next (800 ms later) would pass the 1.5 s deadline.
    expect(gaps).toHaveLength(3);
    [100, 200, 400].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected - 5);
      expect(gaps[i]).toBeLessThan(expected + 400);
    });
    expect((await logsOf(env, runId, "backoff")).at(-2)).toMatch(/timed out/);
  });

  describe("built-in sensors", () => {
    let server: Server;
    let ready = false;
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = ready && req.url === "/ready/2024-03-01" ? 200 : 503;
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      process.env.RUNNEL_CONN_PROBE = env.tdb.url;
      await env.db.raw("CREATE TABLE public.sensor_probe (ds text, source text)");
    });
    afterAll(async () => {
      delete process.env.RUNNEL_CONN_PROBE;
      await new Promise((r) => server.close(r));
    });

    it("file glob with ds, SQL (warehouse and named connection), HTTP 2xx, external task, dataset partition", async () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const runId = await trigger(engine.rt, "builtin_sensors", { scratch: env.scratch, url }, LOGICAL);
      const sensors = ["dataset", "external", "file_glob", "http", "sql_named", "sql_warehouse"];
      await waitFor("every built-in sensor to say not yet twice", async () => {
        const rows = await sensorRows(env, runId);
        return rows.length === 6 && rows.every((r) => r.sensor_pokes >= 2) ? true : undefined;
      });
      // A file for another date does not count.
      mkdirSync(join(env.scratch, "in/2024-02-29"), { recursive: true });
      writeFileSync(join(env.scratch, "in/2024-02-29/part-0.csv"), "x\n");
      await env.db("sensor_probe").insert({ ds: "2024-02-29", source: "named" });
      const quickOtherDate = await trigger(engine.rt, "quick", {}, new Date("2024-02-29T00:00:00Z"));
      expect(await waitForRunEnd(env.db, quickOtherDate)).toBe("success");
      await recordDatasetEvent(env.db, { uri: "warehouse.sensor_target", partition: "2024-02-29", rowCount: 1, checksum: null, taskInstanceId: null, dagRunId: null, tryNumber: null });
      const before = await sensorRows(env, runId);
      await waitFor("two more pokes each", async () => {
        const rows = await sensorRows(env, runId);
        return rows.every((r, i) => r.sensor_pokes >= before[i]!.sensor_pokes + 2) ? true : undefined;
      });
      expect(Object.values(await taskStates(env.db, runId)).every((s) => s === "up_for_reschedule" || s === "running" || s === "queued")).toBe(true);

      mkdirSync(join(env.scratch, "in/2024-03-01"), { recursive: true });
      writeFileSync(join(env.scratch, "in/2024-03-01/part-00017.csv"), "x\n");
      await env.db("sensor_probe").insert({ ds: "2024-03-01", source: "warehouse" });
      ready = true;
      const quick = await trigger(engine.rt, "quick", {}, LOGICAL);
      expect(await waitForRunEnd(env.db, quick)).toBe("success");
      await recordDatasetEvent(env.db, { uri: "warehouse.sensor_target", partition: "2024-03-01", rowCount: 1, checksum: null, taskInstanceId: null, dagRunId: null, tryNumber: null });
      await waitFor("all but sql_named to succeed", async () => {
        const s = await taskStates(env.db, runId);
        return sensors.filter((t) => t !== "sql_named").every((t) => s[t] === "success") ? true : undefined;
      });
      expect((await taskStates(env.db, runId)).sql_named).not.toBe("success");
      await env.db("sensor_probe").insert({ ds: "2024-03-01", source: "named" });
      expect(await waitForRunEnd(env.db, runId)).toBe("success");
    });
  });
});

describe("a rescheduled sensor survives a Redis flush", () => {
  let redis: FlushableRedis;
  let env: EngineEnv;
  let engine: Engine;

  beforeAll(async () => {
    redis = await startFlushableRedis("sensorflush", 46479);
    env = await createEngineEnv("sensorflush", { redisUrl: redis.url, reconcileIntervalMs: 300, dagsFolder: SENSOR_DAGS });
    engine = await startEngine(env.config);
  });
  afterAll(async () => {
    await engine?.close();
    await env?.drop();
    await redis?.stop();
  });

  it("the reconciler restores the delayed poke from next_try_at, same try", async () => {
    const runId = await trigger(engine.rt, "one_sensor", { scratch: env.scratch });
    const waiting = await waitFor("the sensor to wait for its next poke", async () => {
      const [row] = await sensorRows(env, runId);
      return row?.state === "up_for_reschedule" ? row : undefined;
    });
    const client = new Redis(redis.url);
    expect(await client.exists(`${env.config.queuePrefix}:tasks:ti:${(await env.db("task_instances").where({ dag_run_id: runId }).first()).id}:1p${waiting.sensor_pokes}`)).toBe(1);
    await client.flushall();
    client.disconnect();
    await waitFor("a poke after the flush", async () => {
      const [row] = await sensorRows(env, runId);
      return row && row.sensor_pokes >= waiting.sensor_pokes + 2 ? true : undefined;
    });
    writeFileSync(join(env.scratch, "go"), "");
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    const attempts = await attemptsOf(env.db, runId, "wait");
    expect(attempts.map((a) => [a.try_number, a.state])).toEqual([[1, "success"]]);
    expect(existsSync(join(env.scratch, "go"))).toBe(true);
  });
});
