import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../obs/logger";
import { TASK_QUEUE, type TaskJobData } from "./dispatcher";
import type { TryRunner } from "./runTry";

export interface TaskWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** BullMQ job lock; a worker that stops renewing it for this long is stalled. */
  lockDurationMs?: number;
  /** How often BullMQ looks for stalled jobs. */
  stalledIntervalMs?: number;
  log: Logger;
}

/**
 * The BullMQ side of a worker: pulls tries and hands each to the TryRunner. Task errors never
 * reach BullMQ (Postgres decides retries), so a BullMQ failure here means infrastructure
 * trouble. A stalled job (its worker died) is redelivered and the runner records the lost try.
 */
/** What runs a job: the job's data as one object (so a wrapper cannot drop a field such as the poke fence). */
export type TaskJobHandler = Pick<TryRunner, "run">;

export function startTaskWorker(runner: TaskJobHandler, options: TaskWorkerOptions): Worker<TaskJobData> {
  const worker = new Worker<TaskJobData>(
    TASK_QUEUE,
    async (job: Job<TaskJobData>) => {
      await runner.run(job.data);
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      // Redeliver stalled jobs rather than failing them in BullMQ: the runner turns a
      // redelivery into a "lost" try and applies the task's own retry policy.
      maxStalledCount: 10,
      autorun: true,
    },
  );
  worker.on("error", (err) => options.log.warn({ err: err.message }, "worker error"));
  worker.on("failed", (job, err) => options.log.error({ jobId: job?.id, err: err.message }, "job failed in BullMQ"));
  return worker;
}
