import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { BullDispatcher } from "../../src/executor/dispatcher";
import type { TryReport } from "../../src/executor/runTry";
import { startTaskWorker } from "../../src/executor/taskWorker";
import { silentLogger } from "../../src/obs/logger";
import { waitFor } from "../helpers/engine";
import { testQueuePrefix, TEST_REDIS_URL } from "../helpers/testDb";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups.length = 0;
});

const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });

describe("the task worker while Postgres is unreachable", () => {
  it("hands jobs back instead of failing them, pauses instead of spinning, and runs them all once Postgres answers", async () => {
    const prefix = testQueuePrefix("taskworker");
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const dispatcher = new BullDispatcher(redis, prefix);
    cleanups.push(async () => {
      await dispatcher.queue.obliterate({ force: true });
      await dispatcher.close();
      redis.disconnect();
    });
    let down = true;
    const calls: number[] = [];
    const ran = new Set<number>();
    const runner = {
      run: (job: { id: number; tryNumber: number }): Promise<TryReport> => {
        calls.push(job.id);
        if (down) return Promise.reject(refused());
        ran.add(job.id);
        return Promise.resolve({ state: "success", lines: [] });
      },
    };
    const worker = startTaskWorker(runner, { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix, concurrency: 4, log: silentLogger(), outageBackoffMs: { first: 200, max: 400 } });
    cleanups.push(() => worker.close());
    await dispatcher.enqueue(Array.from({ length: 20 }, (_, i) => ({ id: i + 1, tryNumber: 1, dagId: "d", queuePriority: 0, priorityWeight: 1 })));

    await waitFor("the first claims to fail", async () => (calls.length >= 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500)); // an outage of 1.5 s: nothing to await
    // Without the pause the worker would have taken all 20 jobs (and failed them) in well under
    // 1.5 s. Handed back to the head of the wait list, the same few jobs are the probes.
    const tookDuringOutage = calls.length;
    const distinct = new Set(calls).size;
    expect(tookDuringOutage).toBeLessThan(20);
    expect(distinct).toBeLessThanOrEqual(8);
    expect(await dispatcher.queue.getFailedCount()).toBe(0);
    expect(await dispatcher.queue.getWaitingCount()).toBeGreaterThan(0);

    down = false;
    await waitFor("every job to run", async () => (ran.size === 20 ? true : undefined), 15_000);
    expect(await dispatcher.queue.getFailedCount()).toBe(0);
    await waitFor("every job to complete", async () => ((await dispatcher.queue.getCompletedCount()) === 20 ? true : undefined));
    console.info(`took ${tookDuringOutage} jobs (${distinct} distinct) in a 1.5 s outage (concurrency 4, backoff 200-400 ms)`);
  });
});
