import type { Redis } from "ioredis";
import type { RunnelConfig } from "../config/config";
import { DagRegistry } from "../dags/dagRegistry";
import { BullDispatcher } from "../executor/dispatcher";
import { createWarehouse, type Warehouse } from "../executor/warehouse";
import { createLogger, type Logger } from "../obs/logger";
import { createMetrics, type RunnelMetrics } from "../obs/metrics";
import { TaskDispatch } from "../scheduler/taskDispatch";
import { createDb, migrateLatest, type Db } from "../store/db";
import { checkRedisEvictionPolicy, createRedis } from "./connections";

export interface RuntimeOptions {
  /** Name in logs and in Postgres application_name. */
  component: string;
  /** Apply pending migrations first. */
  migrate?: boolean;
  /** Write loaded DAGs, versions and import errors to Postgres (schedulers, API). */
  syncDags?: boolean;
  /** Poll the DAG folder for changes (long-running processes). */
  watchDags?: boolean;
  /** Open the warehouse (workers). */
  warehouse?: boolean;
  logger?: Logger;
}

/** The shared parts of a Runnel process: connections, DAG registry, dispatcher, metrics. */
export class Runtime {
  private closers: (() => Promise<void> | void)[] = [];
  /** The one admission-and-dispatch path: every caller that makes task instances ready goes through it. */
  readonly dispatch: TaskDispatch;

  private constructor(
    readonly config: RunnelConfig,
    readonly log: Logger,
    readonly db: Db,
    readonly redis: Redis,
    readonly dispatcher: BullDispatcher,
    readonly registry: DagRegistry,
    readonly metrics: RunnelMetrics,
    readonly warehouse: Warehouse | undefined,
  ) {
    this.dispatch = new TaskDispatch({ db, dispatcher, dags: registry });
  }

  static async open(config: RunnelConfig, opts: RuntimeOptions): Promise<Runtime> {
    const log = opts.logger ?? createLogger(config.logLevel, opts.component);
    const db = createDb(config.databaseUrl, { applicationName: `runnel-${opts.component}`, poolMax: Math.max(10, config.workerConcurrency + 4) });
    if (opts.migrate) await migrateLatest(db);
    const redis = createRedis(config.redisUrl, `runnel-${opts.component}`);
    const warning = await checkRedisEvictionPolicy(redis);
    if (warning) log.warn(warning);
    const dispatcher = new BullDispatcher(redis, config.queuePrefix);
    const registry = new DagRegistry({
      folder: config.dagsFolder,
      db: opts.syncDags ? db : undefined,
      ownersDb: db,
      onError: (err) => log.error({ err }, "DAG folder refresh failed"),
    });
    await registry.refresh();
    for (const e of registry.importErrors()) log.warn({ fileloc: e.fileloc }, `DAG import error: ${e.message}`);
    if (opts.watchDags) registry.watch(2000);
    let warehouse: Warehouse | undefined;
    if (opts.warehouse) {
      warehouse = createWarehouse(config.warehouseUrl, config.warehouseSchema);
      await warehouse.ensureSchema();
    }
    const rt = new Runtime(config, log, db, redis, dispatcher, registry, createMetrics(), warehouse);
    rt.closers.push(
      () => registry.close(),
      () => dispatcher.close(),
      async () => void (await redis.quit().catch(() => undefined)),
      () => warehouse?.close(),
      () => db.destroy(),
    );
    return rt;
  }

  /** Runs `fn` first on close (services started on top of this runtime). */
  onClose(fn: () => Promise<void> | void): void {
    this.closers.unshift(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers) {
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err }, "error while closing");
      }
    }
    this.closers = [];
  }
}
