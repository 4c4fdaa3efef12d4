import type { DagRegistry } from "../dags/dagRegistry";
import type { BullDispatcher } from "../executor/dispatcher";
import type { Logger } from "../obs/logger";
import type { RunnelMetrics } from "../obs/metrics";
import type { EndedRun } from "../store/runs";
import { runnableDagIds } from "../store/dags";
import type { Db } from "../store/db";
import type { TaskDispatch } from "./taskDispatch";
import { admitReadyTasks } from "./admitReadyTasks";
import { advanceBackfills } from "./advanceBackfills";
import { advanceReprocesses } from "./advanceReprocesses";
import { checkDeadlines } from "./checkDeadlines";
import { createDatasetRuns } from "./createDatasetRuns";
import { createDueRuns } from "./createDueRuns";
import { HistoryRetention } from "./historyRetention";
import type { LeaderLock } from "./leaderLock";
import { reconcile } from "./reconcile";

export interface SchedulerLoopDeps {
  db: Db;
  registry: DagRegistry;
  /** The one admission-and-dispatch path. */
  dispatch: TaskDispatch;
  /** BullMQ itself, for the reconciler's look at which jobs it still holds. */
  dispatcher: BullDispatcher;
  leader: LeaderLock;
  log: Logger;
  /** Counts the runs this scheduler ends (admission cascades, the reconciler), as workers count theirs. */
  metrics?: RunnelMetrics;
  intervalMs: number;
  reconcileIntervalMs: number;
  zombieTimeoutMs: number;
  /** RUNNEL_RETENTION: the leader cleans history older than this once a day; null/absent: never. */
  retentionMs?: number | null;
  /** Injected clock (tests). */
  now?: () => Date;
}

/**
 * The scheduler: every tick, the leader creates due runs and reports missed deadlines; every scheduler admits ready tasks
 * (safe in parallel: SKIP LOCKED and fenced updates); the leader reconciles Redis with
 * Postgres every `reconcileIntervalMs`. Ticks never overlap; `poke()` asks for one now.
 */
export class SchedulerLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastReconcile = 0;
  /** The daily history cleanup (RUNNEL_RETENTION), when configured. */
  readonly retention: HistoryRetention | undefined;

  constructor(private readonly deps: SchedulerLoopDeps) {
    this.retention = deps.retentionMs ? new HistoryRetention({ db: deps.db, log: deps.log, retentionMs: deps.retentionMs }) : undefined;
  }

  private readonly countRunEnd = (run: EndedRun): void => {
    this.deps.metrics?.runFinished.inc({ dag_id: run.dagId, state: run.state });
  };

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a tick as soon as the current one ends. */
  poke(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) => this.deps.log.error({ err }, "scheduler tick failed"))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(this.deps.intervalMs);
        });
    }, delay);
  }

  /** One pass; exported for tests that drive the scheduler step by step. */
  async tick(): Promise<void> {
    const now = this.deps.now?.() ?? new Date();
    const leader = await this.deps.leader.acquire();
    const dags = this.deps.registry;
    if (leader) {
      const creation = { db: this.deps.db, dags, log: this.deps.log, runnable: await runnableDagIds(this.deps.db) };
      await createDueRuns(creation, now);
      await createDatasetRuns(creation);
      // On this scheduler's clock, every tick: a dead worker cannot hide a late run.
      await checkDeadlines({ db: this.deps.db, log: this.deps.log, metrics: this.deps.metrics }, now);
      await advanceReprocesses({ db: this.deps.db, dispatch: this.deps.dispatch, log: this.deps.log });
      await this.retention?.maybeStart(now);
    }
    const reconcileDue = leader && Date.now() - this.lastReconcile >= this.deps.reconcileIntervalMs;
    await admitReadyTasks({ db: this.deps.db, dispatch: this.deps.dispatch, onRunEnded: this.countRunEnd }, { sweepAll: reconcileDue });
    // After admission, so fresh work never waits for backfill runs being launched. Every
    // scheduler may advance backfills: each one is advanced under its own advisory lock.
    await advanceBackfills({ db: this.deps.db, dags, dispatch: this.deps.dispatch, log: this.deps.log });
    if (reconcileDue) {
      this.lastReconcile = Date.now();
      await reconcile({
        db: this.deps.db,
        dispatch: this.deps.dispatch,
        dispatcher: this.deps.dispatcher,
        dags,
        log: this.deps.log,
        onRunEnded: this.countRunEnd,
        zombieTimeoutMs: this.deps.zombieTimeoutMs,
        graceMs: Math.min(5000, this.deps.reconcileIntervalMs),
      });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.retention?.lastClean();
    await this.deps.leader.release();
  }
}
