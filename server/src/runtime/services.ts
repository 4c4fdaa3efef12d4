import type { Worker } from "bullmq";
import { TryRunner } from "../executor/runTry";
import { startTaskWorker } from "../executor/taskWorker";
import { LeaderLock } from "../scheduler/leaderLock";
import { SchedulerLoop } from "../scheduler/schedulerLoop";
import type { Runtime } from "./runtime";
import { createRedis } from "./connections";
import type { TaskJobData } from "../executor/dispatcher";

/** Starts a scheduler on the runtime; it stops when the runtime closes. */
export function startScheduler(rt: Runtime): SchedulerLoop {
  const loop = new SchedulerLoop({
    db: rt.db,
    registry: rt.registry,
    dispatcher: rt.dispatcher,
    leader: new LeaderLock(rt.config.databaseUrl),
    log: rt.log,
    intervalMs: rt.config.schedulerIntervalMs,
    reconcileIntervalMs: rt.config.reconcileIntervalMs,
    zombieTimeoutMs: rt.config.zombieTimeoutMs,
  });
  loop.start();
  rt.onClose(() => loop.stop());
  return loop;
}

export interface WorkerServiceOptions {
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** Starts a BullMQ worker running tries on the runtime; it drains and stops when the runtime closes. */
export function startWorker(rt: Runtime, opts: WorkerServiceOptions = {}): { runner: TryRunner; worker: Worker<TaskJobData> } {
  if (!rt.warehouse) throw new Error("startWorker needs a runtime opened with { warehouse: true }");
  const runner = new TryRunner({ db: rt.db, dags: rt.registry, dispatcher: rt.dispatcher, warehouse: rt.warehouse, log: rt.log, metrics: rt.metrics });
  runner.startBackground();
  const connection = createRedis(rt.config.redisUrl, "runnel-worker");
  const worker = startTaskWorker(runner, {
    connection,
    prefix: rt.config.queuePrefix,
    concurrency: opts.concurrency ?? rt.config.workerConcurrency,
    lockDurationMs: opts.lockDurationMs,
    stalledIntervalMs: opts.stalledIntervalMs,
    log: rt.log,
  });
  rt.onClose(async () => {
    await worker.close();
    runner.stopBackground();
    connection.disconnect();
  });
  return { runner, worker };
}
