/**
 * graphile-worker as a peer (peers phase): a runner in this process on its own fresh database on
 * the bench's PostgreSQL server, with the bench's concurrency and otherwise its defaults
 * (LISTEN/NOTIFY wake-up, no local queue, no completion batching).
 *
 *   chain     each `chain` job adds the next one from its handler (helpers.addJob)
 *   fan-out   `width` `fan` jobs added at once (addJobs) with a counter row set to `width`; each job
 *             decrements it (UPDATE ... RETURNING) and the one that takes it to zero adds `join`
 *
 * "Done" is the end of the last job's handler (graphile-worker records the completion right
 * after, without the handler waiting for it), on this process's clock.
 */
import { performance } from "node:perf_hooks";
import { Logger, makeWorkerUtils, run, type JobHelpers, type Runner, type TaskList, type WorkerUtils } from "graphile-worker";
import type { BenchDatabase } from "./benchDb";

interface ChainPayload {
  k: string;
  i: number;
  n: number;
}

interface FanPayload {
  k: string;
}

/** graphile-worker's logger, silenced (it logs every completed job at info). */
const quiet = new Logger(() => () => undefined);

/** Its pool: enough clients for the chains and fan-outs here, under PostgreSQL's 100 connections shared with Runnel. */
const MAX_POOL = 40;

export class GraphilePeer {
  private readonly waiters = new Map<string, (at: number) => void>();
  private seq = 0;

  private constructor(
    private readonly runner: Runner,
    private readonly utils: WorkerUtils,
  ) {}

  static async open(db: BenchDatabase, concurrency: number): Promise<GraphilePeer> {
    let peer: GraphilePeer | undefined;
    const finished = (k: string): void => peer?.finished(k);
    const taskList: TaskList = {
      chain: async (payload: unknown, helpers: JobHelpers) => {
        const p = payload as ChainPayload;
        if (p.i + 1 < p.n) await helpers.addJob("chain", { k: p.k, i: p.i + 1, n: p.n } satisfies ChainPayload);
        else finished(p.k);
      },
      fan: async (payload: unknown, helpers: JobHelpers) => {
        const { k } = payload as FanPayload;
        const left = await helpers.withPgClient((c) => c.query<{ remaining: number }>(`UPDATE bench_counter SET remaining = remaining - 1 WHERE id = $1 RETURNING remaining`, [k]));
        if (left.rows[0]?.remaining === 0) await helpers.addJob("join", { k } satisfies FanPayload);
      },
      join: (payload: unknown) => {
        finished((payload as FanPayload).k);
      },
    };
    const utils = await makeWorkerUtils({ connectionString: db.url, logger: quiet });
    try {
      await utils.migrate();
      await utils.withPgClient((c) => c.query(`CREATE TABLE bench_counter (id text PRIMARY KEY, remaining int NOT NULL)`));
      const runner = await run({ connectionString: db.url, concurrency, maxPoolSize: Math.min(MAX_POOL, concurrency + 2), noHandleSignals: true, logger: quiet, taskList, crontab: "" });
      peer = new GraphilePeer(runner, utils);
      return peer;
    } catch (err) {
      await utils.release();
      throw err;
    }
  }

  private finished(k: string): void {
    const at = performance.now();
    this.waiters.get(k)?.(at);
  }

  private waitFor(k: string): Promise<number> {
    return new Promise((resolve) => this.waiters.set(k, resolve));
  }

  /** `chains` chains of `length` jobs started at once; ms from the first add to the last chain's last job done. */
  async chains(length: number, chains: number): Promise<number> {
    const keys = Array.from({ length: chains }, () => `c${this.seq++}`);
    const done = keys.map((k) => this.waitFor(k));
    const t0 = performance.now();
    await Promise.all(keys.map((k) => this.utils.addJob("chain", { k, i: 0, n: length } satisfies ChainPayload)));
    const ends = await Promise.all(done);
    for (const k of keys) this.waiters.delete(k);
    return Math.max(...ends) - t0;
  }

  /** `width` parallel jobs and a counter join; ms from the counter insert to the join done. */
  async fanout(width: number): Promise<number> {
    const k = `f${this.seq++}`;
    const done = this.waitFor(k);
    const t0 = performance.now();
    await this.utils.withPgClient((c) => c.query(`INSERT INTO bench_counter (id, remaining) VALUES ($1, $2)`, [k, width]));
    await this.utils.addJobs(Array.from({ length: width }, () => ({ identifier: "fan", payload: { k } satisfies FanPayload })));
    const end = await done;
    this.waiters.delete(k);
    return end - t0;
  }

  async close(): Promise<void> {
    await this.runner.stop();
    await this.utils.release();
  }
}
