import { DelayedError, Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { describeError, isInfrastructureError } from "../infra/serviceErrors";
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
  /** First and longest pause after a job met an unreachable Postgres or Redis (doubling in between). Default 500 ms and 5 s. */
  outageBackoffMs?: { first: number; max: number };
}

/** What runs a job: the job's data as one object (so a wrapper cannot drop a field such as the poke fence). */
export type TaskJobHandler = Pick<TryRunner, "run">;

/**
 * The BullMQ side of a worker: pulls tries and hands each to the TryRunner. Task errors never
 * reach BullMQ (Postgres decides retries), so an error here is infrastructure trouble, and the
 * job is never failed for it. When a job meets an unreachable Postgres or Redis (the claim, or a
 * lost-try settlement, threw an error isInfrastructureError recognises), the worker hands the
 * job back to the head of the wait list and stops taking jobs for a backoff that doubles while
 * the outage lasts (BullMQ's manual rate limit: `queue.rateLimit` + `Worker.RateLimitError`),
 * so it pauses instead of spinning through the queue; the first job after the backoff is the
 * probe. Any other error still fails the job in BullMQ, where the reconciler finds it (a failed
 * job of a try Postgres still calls queued is re-enqueued). A stalled job (its worker died) is
 * redelivered and the runner records the lost try. A try the runner handed back because this
 * process has not loaded its DAG yet moves to BullMQ's delayed set and comes back shortly.
 */
export function startTaskWorker(runner: TaskJobHandler, options: TaskWorkerOptions): Worker<TaskJobData> {
  const backoff = options.outageBackoffMs ?? { first: 500, max: 5000 };
  // The rate limit lives in the queue's limiter key; this Queue shares the worker's connection.
  const queue = new Queue<TaskJobData>(TASK_QUEUE, { connection: options.connection, prefix: options.prefix });
  let outageStreak = 0;
  const worker = new Worker<TaskJobData>(
    TASK_QUEUE,
    async (job: Job<TaskJobData>, token?: string) => {
      let report: Awaited<ReturnType<TaskJobHandler["run"]>>;
      try {
        report = await runner.run(job.data);
      } catch (err) {
        if (!isInfrastructureError(err)) throw err;
        outageStreak++;
        const pauseMs = Math.min(backoff.max, backoff.first * 2 ** Math.min(outageStreak - 1, 20));
        if (outageStreak === 1) options.log.warn({ jobId: job.id, err: describeError(err) }, "a service is unreachable: handing jobs back and pausing until it answers");
        // With Redis itself gone this cannot be written; the job's lock then lapses and BullMQ redelivers it as stalled.
        await queue.rateLimit(pauseMs).catch(() => undefined);
        throw Worker.RateLimitError();
      }
      if (outageStreak > 0) options.log.info({ handedBack: outageStreak }, "services answer again: taking jobs");
      outageStreak = 0;
      if (report.state === "deferred") {
        // Handed back before it ran (its DAG is not loaded here yet): the same job comes back later, to any worker.
        await job.moveToDelayed(Date.now() + (report.retryInMs ?? 1000), token);
        throw new DelayedError();
      }
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
  worker.on("closed", () => void queue.close().catch(() => undefined));
  return worker;
}
