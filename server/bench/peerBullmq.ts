/**
 * BullMQ as a peer (peers phase): a Queue, a Worker with the bench's concurrency and a
 * FlowProducer on the bench's Redis, under a fresh prefix.
 *
 *   chain     each `chain` job's processor adds the next one
 *   fan-out   one flow: a `join` parent with `width` no-op children (BullMQ runs the parent once
 *             every child has completed)
 *
 * "Done" is the end of the last job's processor, on this process's clock.
 */
import { performance } from "node:perf_hooks";
import { FlowProducer, Queue, Worker } from "bullmq";
import { createRedis } from "../src/runtime/connections";

const QUEUE = "peer";

interface PeerData {
  k: string;
  i?: number;
  n?: number;
}

/** The end of the processor that finishes `k`, to whoever waits for it. */
function finished(waiters: Map<string, (at: number) => void>, k: string): void {
  const at = performance.now();
  waiters.get(k)?.(at);
}

export class BullmqPeer {
  private seq = 0;

  private constructor(
    private readonly waiters: Map<string, (at: number) => void>,
    private readonly queue: Queue<PeerData>,
    private readonly flows: FlowProducer,
    private readonly worker: Worker<PeerData>,
    private readonly conns: ReturnType<typeof createRedis>[],
  ) {}

  static async open(redisUrl: string, prefix: string, concurrency: number): Promise<BullmqPeer> {
    const conns = [createRedis(redisUrl, "runnel-bench-peer-queue"), createRedis(redisUrl, "runnel-bench-peer-flow"), createRedis(redisUrl, "runnel-bench-peer-worker")];
    const [qConn, fConn, wConn] = conns as [ReturnType<typeof createRedis>, ReturnType<typeof createRedis>, ReturnType<typeof createRedis>];
    const queue = new Queue<PeerData>(QUEUE, { connection: qConn, prefix });
    const flows = new FlowProducer({ connection: fConn, prefix });
    const waiters = new Map<string, (at: number) => void>();
    const worker = new Worker<PeerData>(
      QUEUE,
      async (job) => {
        const { k, i = 0, n = 0 } = job.data;
        if (job.name === "chain") {
          if (i + 1 < n) await queue.add("chain", { k, i: i + 1, n }, { removeOnComplete: true });
          else finished(waiters, k);
        } else if (job.name === "join") finished(waiters, k);
      },
      { connection: wConn, prefix, concurrency },
    );
    worker.on("error", (err) => console.error("BullMQ peer worker error:", err.message));
    await worker.waitUntilReady();
    return new BullmqPeer(waiters, queue, flows, worker, conns);
  }

  private waitFor(k: string): Promise<number> {
    return new Promise((resolve) => this.waiters.set(k, resolve));
  }

  /** `chains` chains of `length` jobs started at once; ms from the first add to the last chain's last job done. */
  async chains(length: number, chains: number): Promise<number> {
    const keys = Array.from({ length: chains }, () => `c${this.seq++}`);
    const done = keys.map((k) => this.waitFor(k));
    const t0 = performance.now();
    await Promise.all(keys.map((k) => this.queue.add("chain", { k, i: 0, n: length }, { removeOnComplete: true })));
    const ends = await Promise.all(done);
    for (const k of keys) this.waiters.delete(k);
    return Math.max(...ends) - t0;
  }

  /** One flow of `width` no-op children under a `join` parent; ms from FlowProducer.add to the join done. */
  async fanout(width: number): Promise<number> {
    const k = `f${this.seq++}`;
    const done = this.waitFor(k);
    const t0 = performance.now();
    await this.flows.add({ name: "join", queueName: QUEUE, data: { k }, children: Array.from({ length: width }, () => ({ name: "noop", queueName: QUEUE, data: { k } })) });
    const end = await done;
    this.waiters.delete(k);
    return end - t0;
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.flows.close();
    await this.queue.close();
    for (const c of this.conns) c.disconnect();
  }
}
