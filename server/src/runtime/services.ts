import type { Worker } from "bullmq";
import { TryRunner } from "../executor/runTry";
import { startTaskWorker, type TaskJobHandler } from "../executor/taskWorker";
import { LeaderLock } from "../scheduler/leaderLock";
import { SchedulerLoop } from "../scheduler/schedulerLoop";
import { pokeOnLocalWake, WakeListener } from "../scheduler/schedulerWake";
import type { Runtime } from "./runtime";
import { createRedis } from "./connections";
import type { TaskJobData } from "../executor/dispatcher";
import { createTryLineage } from "../obs/openLineage/tryLineage";
import { AlertSender, type AlertSenderOptions } from "../alerts/alertSender";

/** Options of `startScheduler`. */
export interface SchedulerServiceOptions {
  /** Tuning of this process's alert sender (tests shorten retry delays). */
  alertSender?: Partial<AlertSenderOptions>;
}

const alertSenders = new WeakMap<Runtime, AlertSender>();
const wakeListeners = new WeakMap<Runtime, WakeListener>();

/** The LISTEN connection `startScheduler` opened on this runtime (tests wait for it, or cut it). */
export function wakeListenerOf(rt: Runtime): WakeListener | undefined {
  return wakeListeners.get(rt);
}

/** The alert sender `startScheduler` started on this runtime (tests stop it to freeze the outbox). */
export function alertSenderOf(rt: Runtime): AlertSender | undefined {
  return alertSenders.get(rt);
}

/**
 * Starts a scheduler on the runtime, with its alert sender (every scheduler process sends alerts;
 * several at once never send a delivery twice at the same time) and its wake: a LISTEN connection
 * that pokes the loop on every trigger's NOTIFY, and a direct poke for triggers made on this
 * runtime's Db (runnel start); all stop when the runtime closes.
 */
export function startScheduler(rt: Runtime, opts: SchedulerServiceOptions = {}): SchedulerLoop {
  const loop = new SchedulerLoop({
    db: rt.db,
    registry: rt.registry,
    dispatch: rt.dispatch,
    dispatcher: rt.dispatcher,
    leader: new LeaderLock(rt.config.databaseUrl),
    log: rt.log,
    metrics: rt.metrics,
    intervalMs: rt.config.schedulerIntervalMs,
    reconcileIntervalMs: rt.config.reconcileIntervalMs,
    zombieTimeoutMs: rt.config.zombieTimeoutMs,
    retentionMs: rt.config.retentionMs,
  });
  loop.start();
  rt.onClose(() => loop.stop());
  const wake = new WakeListener({ databaseUrl: rt.config.databaseUrl, onWake: (reason) => loop.poke(reason), log: rt.log });
  void wake.start();
  wakeListeners.set(rt, wake);
  const unregister = pokeOnLocalWake(rt.db, (reason) => loop.poke(reason));
  rt.onClose(async () => {
    unregister();
    await wake.stop();
  });
  const sender = new AlertSender({ db: rt.db, dags: rt.registry, alerts: rt.config.alerts, log: rt.log, metrics: rt.metrics }, opts.alertSender);
  sender.start();
  alertSenders.set(rt, sender);
  rt.onClose(() => sender.stop());
  return loop;
}

export interface WorkerServiceOptions {
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How long a shutdown waits for running tries before leaving them to be retried. Default 30 s. */
  shutdownGraceMs?: number;
}

/** Starts a BullMQ worker running tries on the runtime; it drains and stops when the runtime closes. */
export function startWorker(rt: Runtime, opts: WorkerServiceOptions = {}): { runner: TryRunner; worker: Worker<TaskJobData> } {
  if (!rt.warehouse) throw new Error("startWorker needs a runtime opened with { warehouse: true }");
  const ol = rt.config.openLineage;
  const lineage = ol
    ? createTryLineage(ol, { db: rt.db, log: rt.log, metrics: rt.metrics, warehouseUrl: rt.config.warehouseUrl, warehouseSchema: rt.config.warehouseSchema })
    : undefined;
  const runner = new TryRunner({
    db: rt.db,
    dags: rt.registry,
    dispatch: rt.dispatch,
    warehouse: rt.warehouse,
    log: rt.log,
    metrics: rt.metrics,
    observer: lineage?.observer,
    isolation: { databaseUrl: rt.config.databaseUrl, warehouseUrl: rt.config.warehouseUrl, warehouseSchema: rt.config.warehouseSchema },
    maxLogBytesPerTry: rt.config.maxLogBytesPerTry,
  });
  runner.startBackground();
  const connection = createRedis(rt.config.redisUrl, "runnel-worker");
  // Count the tries in flight so a shutdown knows when it may stop waiting.
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const counted: TaskJobHandler = {
    run: async (job) => {
      inFlight++;
      try {
        return await runner.run(job);
      } finally {
        if (--inFlight === 0) idle?.();
      }
    },
  };
  const worker = startTaskWorker(counted, {
    connection,
    prefix: rt.config.queuePrefix,
    concurrency: opts.concurrency ?? rt.config.workerConcurrency,
    lockDurationMs: opts.lockDurationMs,
    stalledIntervalMs: opts.stalledIntervalMs,
    log: rt.log,
  });
  rt.onClose(async () => {
    // Take no new jobs, let running tries finish for a while, then stop waiting. A try cut off
    // here stays `running` in Postgres and is retried elsewhere (stalled job or zombie), as after a crash.
    await worker.pause(true);
    const graceMs = opts.shutdownGraceMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const drained =
      inFlight === 0 ||
      (await new Promise<boolean>((resolve) => {
        idle = () => resolve(true);
        timer = setTimeout(() => resolve(false), graceMs);
      }));
    if (timer) clearTimeout(timer);
    if (!drained) rt.log.warn({ graceMs, inFlight }, "tries still running after the shutdown grace period; leaving them to be retried");
    await worker.close(true);
    runner.stopBackground();
    // Before the runtime closes the database: COMPLETE events still read the datasets a try wrote.
    await lineage?.emitter.close();
    connection.disconnect();
  });
  return { runner, worker };
}
