import type { DagRegistry } from "../dags/dagRegistry";
import type { BullDispatcher } from "../executor/dispatcher";
import type { Logger } from "../obs/logger";
import type { RunnelMetrics } from "../obs/metrics";
import type { EndedRun } from "../store/runs";
import { WakeReason } from "../model/schedulerWake";
import { runnableDagIds, scheduleDatasetsOf } from "../store/dags";
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
 * The scheduler: every tick, the leader creates due runs (one statement finds the DAGs with a due
 * interval, see `createDueRuns`) and reports missed deadlines; every scheduler admits ready tasks
 * (safe in parallel: SKIP LOCKED and fenced updates); the leader reconciles Redis with
 * Postgres every `reconcileIntervalMs`. Between ticks, `poke()` (a trigger's wake, see
 * `schedulerWake.ts`) runs a short pass at once: start queued runs, admit their roots, advance
 * backfills. Passes never overlap; a poke during one runs exactly one more pass right after it.
 */
export class SchedulerLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastReconcile = 0;
  /** What the next pass must do: a full tick (the timer fired), a wake pass, dataset-triggered runs. */
  private readonly pending = { tick: false, wake: false, datasets: false };
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
    this.pending.tick = true;
    this.drain();
  }

  /**
   * Wakes the scheduler: a short pass now (or right after the one running), without waiting for
   * the next tick. Bursts coalesce into one pass. A `dataset` wake also has the leader create
   * dataset-triggered runs first.
   */
  poke(reason: WakeReason = WakeReason.run): void {
    if (this.stopped) return;
    this.pending.wake = true;
    if (reason === WakeReason.dataset) this.pending.datasets = true;
    this.drain();
  }

  private drain(): void {
    if (this.running || this.stopped) return;
    this.running = this.runPending().finally(() => {
      this.running = undefined;
      if (this.pending.tick || this.pending.wake) this.drain();
    });
  }

  /** Runs what is pending, one pass at a time; a full tick includes everything a wake pass does. */
  private async runPending(): Promise<void> {
    while (!this.stopped && (this.pending.tick || this.pending.wake)) {
      const full = this.pending.tick;
      const datasets = this.pending.datasets;
      if (full) this.pending.tick = false;
      this.pending.wake = this.pending.datasets = false;
      try {
        const launched = full ? await this.fullTick() : await this.wakePass(datasets);
        // Backfill runs just launched are queued: start them now rather than a tick later.
        if (launched) this.pending.wake = true;
      } catch (err) {
        this.deps.log.error({ err }, full ? "scheduler tick failed" : "scheduler wake pass failed");
      }
      if (full && !this.stopped) this.armTimer();
    }
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pending.tick = true;
      this.drain();
    }, this.deps.intervalMs);
  }

  /**
   * The short pass a wake runs: no leader lock, no per-DAG run creation, only what starts new work
   * (in the tick's order: fresh runs are started before backfill runs are launched).
   * @returns how many backfill runs it launched.
   */
  private async wakePass(datasets: boolean): Promise<number> {
    const { db, registry: dags, log } = this.deps;
    if (datasets && this.deps.leader.isLeader && dags.list().some((d) => scheduleDatasetsOf(d.serialized) !== null)) {
      await createDatasetRuns({ db, dags, log, runnable: await runnableDagIds(db) });
    }
    await admitReadyTasks({ db, dispatch: this.deps.dispatch, onRunEnded: this.countRunEnd });
    return (await advanceBackfills({ db, dags, dispatch: this.deps.dispatch, log })).launched;
  }

  /** One pass; exported for tests that drive the scheduler step by step. */
  async tick(): Promise<void> {
    await this.fullTick();
  }

  /** @returns how many backfill runs it launched. */
  private async fullTick(): Promise<number> {
    const now = this.deps.now?.() ?? new Date();
    const leader = await this.deps.leader.acquire();
    const dags = this.deps.registry;
    if (leader) {
      const creation = { db: this.deps.db, dags, log: this.deps.log };
      await createDueRuns(creation, now);
      if (dags.list().some((d) => scheduleDatasetsOf(d.serialized) !== null)) await createDatasetRuns({ ...creation, runnable: await runnableDagIds(this.deps.db) });
      // On this scheduler's clock, every tick: a dead worker cannot hide a late run.
      await checkDeadlines({ db: this.deps.db, log: this.deps.log, metrics: this.deps.metrics }, now);
      await advanceReprocesses({ db: this.deps.db, dispatch: this.deps.dispatch, log: this.deps.log });
      await this.retention?.maybeStart(now);
    }
    const reconcileDue = leader && Date.now() - this.lastReconcile >= this.deps.reconcileIntervalMs;
    await admitReadyTasks({ db: this.deps.db, dispatch: this.deps.dispatch, onRunEnded: this.countRunEnd }, { sweepAll: reconcileDue });
    // After admission, so fresh work never waits for backfill runs being launched. Every
    // scheduler may advance backfills: each one is advanced under its own advisory lock.
    const { launched } = await advanceBackfills({ db: this.deps.db, dags, dispatch: this.deps.dispatch, log: this.deps.log });
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
    return launched;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.retention?.lastClean();
    await this.deps.leader.release();
  }
}
