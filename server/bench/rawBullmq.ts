/**
 * Raw BullMQ baseline: no-op jobs through a bare Queue and Worker on the same Redis, with the
 * same worker concurrency and the same job options Runnel's dispatcher uses (deterministic job
 * id, attempts 1, removeOnComplete/removeOnFail), so the ratio isolates what Runnel adds.
 */
import { performance } from "node:perf_hooks";
import { Queue, Worker, type JobsOptions } from "bullmq";
import { createRedis } from "../src/runtime/connections";
import { summarize, type Summary } from "./stats";

const QUEUE = "raw";

/** Job ids shaped like Runnel's (`ti:<id>:<try>`; BullMQ only accepts exactly two colons). */
const jobOpts = (jobId: string): JobsOptions => ({
  jobId,
  attempts: 1,
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 24 * 3600 },
});

export interface RawThroughput {
  jobs: number;
  elapsedMs: number;
  jobsPerSec: number;
}

export interface RawChain {
  jobs: number;
  latencyMs: Summary;
  /** Every job-to-next-job gap, for the caller's own statistics. */
  samples: number[];
}

interface Rig {
  queue: Queue<{ i: number }>;
  close(): Promise<void>;
}

function rig(redisUrl: string, prefix: string): Rig & { conn: ReturnType<typeof createRedis> } {
  const qConn = createRedis(redisUrl, "runnel-bench-raw-queue");
  const wConn = createRedis(redisUrl, "runnel-bench-raw-worker");
  const queue = new Queue<{ i: number }>(QUEUE, { connection: qConn, prefix });
  return {
    queue,
    conn: wConn,
    async close() {
      await queue.close();
      await qConn.quit().catch(() => undefined);
      wConn.disconnect();
    },
  };
}

/** `n` no-op jobs added with addBulk (chunks of `chunk`), from the first add to the last completion. */
export async function rawThroughput(redisUrl: string, prefix: string, concurrency: number, n: number, chunk = 1000): Promise<RawThroughput> {
  const r = rig(redisUrl, prefix);
  let done = 0;
  let resolveDone: () => void = () => undefined;
  const allDone = new Promise<void>((res) => (resolveDone = res));
  const worker = new Worker<{ i: number }>(QUEUE, async () => undefined, { connection: r.conn, prefix, concurrency, autorun: true });
  worker.on("completed", () => {
    if (++done === n) resolveDone();
  });
  worker.on("error", (err) => console.error("raw worker error:", err.message));
  try {
    await worker.waitUntilReady();
    const t0 = performance.now();
    for (let i = 0; i < n; i += chunk) {
      const jobs = [];
      for (let j = i; j < Math.min(n, i + chunk); j++) jobs.push({ name: "noop", data: { i: j }, opts: jobOpts(`ti:${j}:1`) });
      await r.queue.addBulk(jobs);
    }
    await allDone;
    const elapsedMs = performance.now() - t0;
    return { jobs: n, elapsedMs, jobsPerSec: (n / elapsedMs) * 1000 };
  } finally {
    await worker.close();
    await r.close();
  }
}

/**
 * A chain of `n` no-op jobs: each job's processor notes its end, then adds the next job (like
 * Runnel's fast follow: the upstream's end is recorded before the downstream is enqueued).
 * Latency = next job's processing start - previous job's processing end, same process clock.
 */
export async function rawChain(redisUrl: string, prefix: string, concurrency: number, n: number): Promise<RawChain> {
  const r = rig(redisUrl, prefix);
  const starts = new Array<number>(n).fill(Number.NaN);
  const ends = new Array<number>(n).fill(Number.NaN);
  let resolveDone: () => void = () => undefined;
  const allDone = new Promise<void>((res) => (resolveDone = res));
  const worker = new Worker<{ i: number }>(
    QUEUE,
    async (job) => {
      const i = job.data.i;
      starts[i] = performance.now();
      ends[i] = performance.now();
      if (i + 1 < n) await r.queue.add("chain", { i: i + 1 }, jobOpts(`ti:${i + 1}:1`));
    },
    { connection: r.conn, prefix, concurrency, autorun: true },
  );
  worker.on("completed", (job) => {
    if (job.data.i === n - 1) resolveDone();
  });
  worker.on("error", (err) => console.error("raw worker error:", err.message));
  try {
    await worker.waitUntilReady();
    await r.queue.add("chain", { i: 0 }, jobOpts("ti:0:1"));
    await allDone;
    const samples: number[] = [];
    for (let i = 0; i + 1 < n; i++) samples.push((starts[i + 1] ?? Number.NaN) - (ends[i] ?? Number.NaN));
    return { jobs: n, latencyMs: summarize(samples), samples };
  } finally {
    await worker.close();
    await r.close();
  }
}
