import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobIdFor, TASK_QUEUE } from "../../src/executor/dispatcher";
import { silentLogger } from "../../src/obs/logger";
import { Runtime } from "../../src/runtime/runtime";
import { reconcile } from "../../src/scheduler/reconcile";
import { claimTry } from "../../src/store/taskTries";
import { attemptsOf, createEngineEnv, trigger, type EngineEnv } from "../helpers/engine";
import { TEST_REDIS_URL } from "../helpers/testDb";

let env: EngineEnv;
let rt: Runtime;

beforeAll(async () => {
  // Redis database 5: the database number in REDIS_URL is honoured.
  env = await createEngineEnv("reconcile", { redisUrl: `${TEST_REDIS_URL.replace(/\/\d+$/, "")}/5` });
  rt = await Runtime.open(env.config, { component: "test", migrate: true, syncDags: true, logger: silentLogger() });
});
afterAll(async () => {
  await rt?.close();
  await env?.drop();
});

const deps = () => ({
  db: rt.db,
  dispatch: rt.dispatch,
  dispatcher: rt.dispatcher,
  dags: rt.registry,
  log: silentLogger(),
  zombieTimeoutMs: 1000,
  graceMs: 0,
});

describe("the reconciler", () => {
  it("settles a running try whose worker stopped heartbeating as lost, and retries it", async () => {
    const runId = await trigger(rt, "flaky");
    await rt.db("dag_runs").where({ id: runId }).update({ state: "running" });
    const ti = await rt.db("task_instances").where({ dag_run_id: runId, task_id: "flaky" }).update({ state: "queued", try_number: 1 }).returning("id");
    const id = (ti[0] as { id: number }).id;
    const claim = await claimTry(rt.db, id, 1, "ghost-worker");
    expect(typeof claim).toBe("object");
    // The worker "dies": its heartbeat stops. Age it past the zombie timeout.
    await rt.db("task_instances").where({ id }).update({ heartbeat_at: rt.db.raw("now() - interval '10 seconds'") });
    const result = await reconcile(deps());
    expect(result.zombies).toBe(1);
    const row = await rt.db("task_instances").where({ id }).first();
    expect(row.state).toBe("up_for_retry");
    expect(row.try_number).toBe(2);
    const attempts = await attemptsOf(rt.db, runId, "flaky");
    expect(attempts.map((a) => [a.try_number, a.state, a.error_code])).toEqual([[1, "lost", "WORKER_LOST"]]);
    // The retry's delayed job was enqueued, in Redis database 5.
    const redis = new Redis(env.config.redisUrl);
    try {
      expect(await redis.exists(rt.dispatcher.queue.toKey(jobIdFor(id, 2)))).toBe(1);
      await redis.select(0);
      expect(await redis.exists(rt.dispatcher.queue.toKey(jobIdFor(id, 2)))).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it("re-enqueues a queued try whose job is missing, and leaves present ones alone", async () => {
    const runId = await trigger(rt, "limited");
    await rt.db("dag_runs").where({ id: runId }).update({ state: "running" });
    const rows = (await rt.db("task_instances").where({ dag_run_id: runId }).update({ state: "queued", try_number: 1, queued_at: rt.db.raw("now() - interval '1 minute'") }).returning(["id", "dag_id"])) as { id: number; dag_id: string }[];
    await rt.dispatcher.enqueue([{ id: rows[0]!.id, tryNumber: 1, dagId: "limited", queuePriority: 0, priorityWeight: 1 }]);
    const result = await reconcile(deps());
    expect(result.reenqueued).toBe(rows.length - 1);
    const missing = await rt.dispatcher.missingJobIds(rows.map((r) => jobIdFor(r.id, 1)));
    expect(missing.size).toBe(0);
    expect((await reconcile(deps())).reenqueued).toBe(0);
  });

  it("ends a running run whose task instances have all ended, and reports it for the runs_total metric", async () => {
    const runId = await trigger(rt, "limited");
    await rt.db("dag_runs").where({ id: runId }).update({ state: "running" });
    await rt.db("task_instances").where({ dag_run_id: runId }).update({ state: "success" });
    const ended: Array<{ dagId: string; state: string }> = [];
    const result = await reconcile({ ...deps(), onRunEnded: (r) => ended.push(r) });
    expect(result.finishedRuns).toBe(1);
    expect(ended).toEqual([{ dagId: "limited", state: "success" }]);
    expect((await rt.db("dag_runs").where({ id: runId }).first()).state).toBe("success");
  });

  it("leaves a dags test run's queued tries to the CLI that runs them", async () => {
    const runId = await trigger(rt, "limited");
    await rt.db("dag_runs").where({ id: runId }).update({ state: "running", run_type: "test" });
    await rt.db("task_instances").where({ dag_run_id: runId }).update({ state: "queued", try_number: 1, queued_at: rt.db.raw("now() - interval '1 minute'") });
    expect((await reconcile(deps())).reenqueued).toBe(0);
    await rt.db("dag_runs").where({ id: runId }).update({ run_type: "manual" });
    expect((await reconcile(deps())).reenqueued).toBeGreaterThan(0);
  });

  it("re-enqueues a queued try whose BullMQ job failed or completed (a dead job is not a present one)", async () => {
    const runId = await trigger(rt, "limited");
    await rt.db("dag_runs").where({ id: runId }).update({ state: "running" });
    const rows = (await rt.db("task_instances").where({ dag_run_id: runId }).orderBy("id").update({ state: "queued", try_number: 1, queued_at: rt.db.raw("now() - interval '1 minute'") }).returning(["id"])) as { id: number }[];
    const [failedId, completedId, waitingId] = rows.map((r) => r.id);
    await rt.dispatcher.enqueue(rows.map((r) => ({ id: r.id, tryNumber: 1, dagId: "limited", queuePriority: 0, priorityWeight: 1 })));
    // A worker takes two of the jobs by hand: one fails in BullMQ (as a claim that met ECONNREFUSED did), one completes.
    const connection = new Redis(env.config.redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker(TASK_QUEUE, null, { connection, prefix: env.config.queuePrefix, autorun: false });
    try {
      const finishById = new Map<string, (job: NonNullable<Awaited<ReturnType<typeof worker.getNextJob>>>) => Promise<unknown>>([
        [jobIdFor(failedId!, 1), (job) => job.moveToFailed(new Error("connect ECONNREFUSED 127.0.0.1:5432"), "tok", false)],
        [jobIdFor(completedId!, 1), (job) => job.moveToCompleted("stale", "tok", false)],
      ]);
      while (finishById.size) {
        const job = await worker.getNextJob("tok");
        if (!job) throw new Error("the queue ran dry before both jobs were taken");
        const finish = finishById.get(job.id!);
        if (finish) {
          await finish(job);
          finishById.delete(job.id!);
        } else await job.moveToDelayed(Date.now() + 60_000, "tok");
      }
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const queue = rt.dispatcher.queue;
    expect(await queue.getJobState(jobIdFor(failedId!, 1))).toBe("failed");
    expect(await queue.getJobState(jobIdFor(completedId!, 1))).toBe("completed");
    const result = await reconcile(deps());
    expect(result.reenqueued).toBe(2);
    expect(await queue.getJobState(jobIdFor(failedId!, 1))).toBe("waiting");
    expect(await queue.getJobState(jobIdFor(completedId!, 1))).toBe("waiting");
    // Live jobs (waiting, delayed) are left alone.
    expect(await queue.getJobState(jobIdFor(waitingId!, 1))).not.toBe("failed");
    expect((await reconcile(deps())).reenqueued).toBe(0);
  });
});
