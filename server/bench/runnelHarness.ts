/**
 * One Runnel "process" for the bench: a Runtime on the bench database and a fresh queue prefix,
 * with the scheduler and a worker started in this process, plus helpers to trigger runs and
 * wait for them.
 */
import { fileURLToPath } from "node:url";
import type { Worker } from "bullmq";
import { loadConfig } from "../src/config/config";
import type { LoadedDag } from "../src/dags/dagFolder";
import type { TaskJobData } from "../src/executor/dispatcher";
import { Runtime } from "../src/runtime/runtime";
import { startScheduler, startWorker } from "../src/runtime/services";
import type { SchedulerLoop } from "../src/scheduler/schedulerLoop";
import { triggerRun } from "../src/scheduler/triggerRun";

export const BENCH_DAGS_FOLDER = fileURLToPath(new URL("./benchDags/", import.meta.url));

export interface HarnessOptions {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  schedulerIntervalMs: number;
  /** Apply migrations on open (the first harness on a fresh database). */
  migrate: boolean;
  /** The DAG folder to load (default BENCH_DAGS_FOLDER). */
  dagsFolder?: string;
  /** Runs after the DAGs are synced and before the scheduler and worker start (e.g. to pause a DAG). */
  beforeStart?: (rt: Runtime) => Promise<void>;
}

export interface RunsOutcome {
  /** Date.now() when the poll saw every run end. */
  seenDoneAt: number;
  states: Record<string, number>;
}

export class RunnelHarness {
  private constructor(
    readonly rt: Runtime,
    readonly worker: Worker<TaskJobData>,
    /** The scheduler loop started in this process (the idle-tick phase stops it and times tick()). */
    readonly scheduler: SchedulerLoop,
  ) {}

  static async open(o: HarnessOptions): Promise<RunnelHarness> {
    const config = loadConfig(
      {
        DATABASE_URL: o.databaseUrl,
        REDIS_URL: o.redisUrl,
        RUNNEL_DAGS_FOLDER: o.dagsFolder ?? BENCH_DAGS_FOLDER,
        RUNNEL_QUEUE_PREFIX: o.prefix,
        RUNNEL_LOG_LEVEL: "warn",
      },
      { schedulerIntervalMs: o.schedulerIntervalMs, workerConcurrency: o.concurrency },
    );
    const rt = await Runtime.open(config, { component: "bench", migrate: o.migrate, syncDags: true, warehouse: true });
    try {
      const errors = rt.registry.importErrors();
      if (errors.length) throw new Error(`bench DAGs failed to load: ${errors.map((e) => `${e.fileloc}: ${e.message}`).join("; ")}`);
      await o.beforeStart?.(rt);
      const scheduler = startScheduler(rt);
      const { worker } = startWorker(rt, { concurrency: o.concurrency });
      await worker.waitUntilReady();
      return new RunnelHarness(rt, worker, scheduler);
    } catch (err) {
      await rt.close();
      throw err;
    }
  }

  dag(dagId: string): { loaded: LoadedDag; versionId: number } {
    const loaded = this.rt.registry.get(dagId);
    const versionId = this.rt.registry.versionId(dagId);
    if (!loaded || versionId === undefined) throw new Error(`bench DAG ${dagId} is not loaded`);
    return { loaded, versionId };
  }

  /** Triggers `count` manual runs of `dagId`, `parallel` trigger calls at a time; returns their dag_runs ids. */
  async trigger(dagId: string, count: number, label: string, parallel = 4): Promise<number[]> {
    const { loaded, versionId } = this.dag(dagId);
    const ids = new Array<number>(count);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        const { dagRunId } = await triggerRun(this.rt.db, loaded, versionId, { runId: `bench__${label}__${i}__${process.hrtime.bigint()}` });
        ids[i] = dagRunId;
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
    return ids;
  }

  /** Polls dag_runs every `pollMs` until every run in `ids` has ended; throws after `timeoutMs`. */
  async waitForRuns(ids: readonly number[], timeoutMs: number, pollMs = 20): Promise<RunsOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = (
        await this.rt.db.raw<{ rows: { state: string; n: string }[] }>(`SELECT state, count(*) AS n FROM dag_runs WHERE id = ANY(?::bigint[]) GROUP BY state`, [[...ids]])
      ).rows;
      const states = Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
      const open = (states.queued ?? 0) + (states.running ?? 0);
      if (open === 0) return { seenDoneAt: Date.now(), states };
      if (Date.now() > deadline) {
        const tis = (
          await this.rt.db.raw<{ rows: { state: string; n: string }[] }>(
            `SELECT state, count(*) AS n FROM task_instances WHERE dag_run_id = ANY(?::bigint[]) GROUP BY state`,
            [[...ids]],
          )
        ).rows;
        throw new Error(
          `runs did not finish within ${timeoutMs} ms: runs ${JSON.stringify(states)}, task instances ${JSON.stringify(Object.fromEntries(tis.map((t) => [t.state, Number(t.n)])))}`,
        );
      }
      await new Promise((res) => setTimeout(res, pollMs));
    }
  }

  async close(): Promise<void> {
    await this.rt.close();
  }
}
