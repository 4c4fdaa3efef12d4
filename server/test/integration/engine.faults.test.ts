import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFlushableRedis, type FlushableRedis } from "../helpers/flushableRedis";
import { attemptsOf, createEngineEnv, REPO_ROOT, RUNNEL_BIN, startEngine, taskStates, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

const safe = (runId: string) => runId.replace(/[^A-Za-z0-9_-]/g, "_");

function executions(scratch: string, runId: string): string[] {
  const file = join(scratch, "executions.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${runId} `))
    .map((l) => l.split(" ").slice(1, 3).join(" "));
}

async function runIdOf(env: EngineEnv, dagRunId: number): Promise<string> {
  return (await env.db("dag_runs").where({ id: dagRunId }).first()).run_id as string;
}

describe("nothing is lost when Redis is flushed mid-run", () => {
  let redis: FlushableRedis;
  let env: EngineEnv;
  let engine: Engine;

  beforeAll(async () => {
    redis = await startFlushableRedis("flush", 46379);
    env = await createEngineEnv("flush", { redisUrl: redis.url, reconcileIntervalMs: 300 });
    engine = await startEngine(env.config);
  });

  afterAll(async () => {
    await engine?.close();
    await env?.drop();
    await redis?.stop();
  });

  it("completes the run, and no finished task runs again", async () => {
    const dagRunId = await trigger(engine.rt, "gated", { scratch: env.scratch });
    const runId = await runIdOf(env, dagRunId);
    await waitFor("gate to start", async () => (existsSync(join(env.scratch, `${safe(runId)}.started`)) ? true : undefined));
    const client = new Redis(redis.url);
    expect(await client.dbsize()).toBeGreaterThan(0);
    await client.flushall();
    expect(await client.dbsize()).toBe(0);
    client.disconnect();
    writeFileSync(join(env.scratch, `${safe(runId)}.open`), "");
    expect(await waitForRunEnd(env.db, dagRunId)).toBe("success");
    expect(await taskStates(env.db, dagRunId)).toEqual({ first: "success", gate: "success", last: "success" });
    expect(executions(env.scratch, runId)).toEqual(["first 1", "gate 1", "last 1"]);
  });

  it("re-enqueues a queued task whose job Redis lost", async () => {
    // Stop the worker so the next task stays queued, flush Redis, then start a worker again.
    await engine.close();
    engine = await startEngine(env.config, { worker: false });
    const dagRunId = await trigger(engine.rt, "gated", { scratch: env.scratch });
    const runId = await runIdOf(env, dagRunId);
    writeFileSync(join(env.scratch, `${safe(runId)}.open`), "");
    await waitFor("first to be queued", async () => ((await taskStates(env.db, dagRunId)).first === "queued" ? true : undefined));
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    await engine.close();
    engine = await startEngine(env.config);
    expect(await waitForRunEnd(env.db, dagRunId)).toBe("success");
    expect(executions(env.scratch, runId)).toEqual(["first 1", "gate 1", "last 1"]);
  });
});

describe("a worker killed mid-task", () => {
  let env: EngineEnv;
  let engine: Engine | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    env = await createEngineEnv("sigkill");
  });
  afterEach(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  });
  afterAll(async () => {
    await engine?.close();
    await env?.drop();
  });

  function spawnWorker(): ChildProcess {
    const child = spawn(process.execPath, [RUNNEL_BIN, "worker", "--concurrency", "2", "--lock-duration", "1000", "--stalled-interval", "500"], {
      cwd: REPO_ROOT,
      env: env.childEnv,
      stdio: ["ignore", "ignore", "pipe"],
    });
    children.push(child);
    return child;
  }

  it("is detected as stalled; the task is retried elsewhere and the run completes", async () => {
    // Scheduler only in this process; the task runs in a separate worker process.
    engine = await startEngine(env.config, { worker: false });
    const victim = spawnWorker();
    const dagRunId = await trigger(engine.rt, "gated", { scratch: env.scratch });
    const runId = await runIdOf(env, dagRunId);
    const started = join(env.scratch, `${safe(runId)}.started`);
    await waitFor("gate to start in the worker process", async () => (existsSync(started) ? true : undefined), 30_000);
    expect(readFileSync(started, "utf8")).not.toBe(String(process.pid));
    const exited = new Promise((r) => victim.once("exit", r));
    victim.kill("SIGKILL");
    await exited;
    writeFileSync(join(env.scratch, `${safe(runId)}.open`), "");
    spawnWorker();
    expect(await waitForRunEnd(env.db, dagRunId, 45_000)).toBe("success");
    const gate = await attemptsOf(env.db, dagRunId, "gate");
    expect(gate.map((a) => [a.try_number, a.state])).toEqual([
      [1, "lost"],
      [2, "success"],
    ]);
    expect(gate[0]!.error_code).toBe("WORKER_LOST");
    expect(executions(env.scratch, runId)).toEqual(["first 1", "gate 1", "gate 2", "last 1"]);
  });
});

describe("shutdown with a task that does not finish", () => {
  let env: EngineEnv;

  beforeAll(async () => {
    env = await createEngineEnv("shutdown");
  });
  afterAll(async () => {
    await env?.drop();
  });

  it("stops waiting after the grace period and leaves the try to be retried", async () => {
    const engine = await startEngine(env.config, { worker: { shutdownGraceMs: 200 } });
    const dagRunId = await trigger(engine.rt, "gated", { scratch: env.scratch });
    const runId = await runIdOf(env, dagRunId);
    await waitFor("gate to start", async () => (existsSync(join(env.scratch, `${safe(runId)}.started`)) ? true : undefined));
    // The gate never opens before close: close must still return (or this test times out).
    await engine.close();
    const gate = await env.db("task_instances").where({ dag_run_id: dagRunId, task_id: "gate" }).first();
    expect(gate.state).toBe("running");
    expect(gate.try_number).toBe(1);
    writeFileSync(join(env.scratch, `${safe(runId)}.open`), "");
  });
});
