import type { Server } from "node:http";
import { loadConfig, type RunnelConfig } from "../config/config";
import { createApp } from "../api/app";
import { ensureAdminUser } from "../api/auth/bootstrapAdmin";
import { claimFolder, FolderInUseError, type FolderClaim } from "../infra/folderOwner";
import { ensureLocalServices, type LocalServices } from "../infra/localServices";
import { Runtime } from "../runtime/runtime";
import { startScheduler, startWorker } from "../runtime/services";
import { CliError } from "./cliError";
import { DEFAULT_SHUTDOWN_GRACE_MS, exitOnSignals } from "./shutdown";

export interface ServeOptions {
  host: string;
  port: number;
  concurrency?: number;
}

async function listen(rt: Runtime, host: string, port: number): Promise<Server> {
  await ensureAdminUser(rt.db, process.env.RUNNEL_ADMIN_PASSWORD, (line) => console.log(line));
  const app = createApp(rt);
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.on("error", reject);
    rt.onClose(() => new Promise<void>((r) => server.close(() => r())));
  });
}

/** Ends the process on SIGINT/SIGTERM within the grace period, stopping the servers it started (see {@link exitOnSignals}). */
function closeOnSignals(rt: Runtime, stopOwned?: () => Promise<void>): void {
  exitOnSignals({ close: () => rt.close(), stopOwned, graceMs: DEFAULT_SHUTDOWN_GRACE_MS, log: rt.log });
}

/** Claims the folder when this `start` may run its private servers there (DATABASE_URL or REDIS_URL unset). */
function claimWorkDir(config: RunnelConfig, opts: ServeOptions): FolderClaim | undefined {
  if (!config.databaseUrlIsDefault && !config.redisUrlIsDefault) return undefined;
  try {
    return claimFolder(process.cwd(), { host: opts.host, port: opts.port });
  } catch (err) {
    if (err instanceof FolderInUseError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * `runnel start`: everything in one process, with private Postgres/Redis when none is configured or running.
 * A second `start` in a folder whose private servers a live one owns is refused (.runnel/start.json).
 */
export async function runStart(opts: ServeOptions): Promise<void> {
  const base = loadConfig();
  const claim = claimWorkDir(base, opts);
  let services: LocalServices | undefined;
  // Until the signal handlers are in place, a failure or a signal must still stop what was started.
  const abandon = async (): Promise<void> => {
    await services?.stop().catch(() => undefined);
    claim?.release();
  };
  const early = (): void => void abandon().finally(() => process.exit(1));
  process.once("SIGINT", early);
  process.once("SIGTERM", early);
  try {
    services = await ensureLocalServices(base, (msg) => console.log(msg));
    const owned = services;
    const config: RunnelConfig = { ...base, databaseUrl: owned.databaseUrl, redisUrl: owned.redisUrl, warehouseUrl: base.warehouseUrl === base.databaseUrl ? owned.databaseUrl : base.warehouseUrl };
    const rt = await Runtime.open(config, { component: "start", migrate: true, syncDags: true, watchDags: true, warehouse: true });
    process.removeListener("SIGINT", early);
    process.removeListener("SIGTERM", early);
    closeOnSignals(rt, async () => {
      await owned.stop();
      claim?.release();
    });
    startScheduler(rt);
    startWorker(rt, { concurrency: opts.concurrency });
    await listen(rt, opts.host, opts.port);
    claim?.publish({ databaseUrl: owned.databaseUrl, redisUrl: owned.redisUrl });
    const dags = rt.registry.list().map((d) => d.serialized.dagId);
    console.log(`Runnel is running: http://${opts.host}:${opts.port}  (DAGs: ${dags.join(", ") || "none"}; import errors: ${rt.registry.importErrors().length})`);
  } catch (err) {
    process.removeListener("SIGINT", early);
    process.removeListener("SIGTERM", early);
    await abandon();
    throw err;
  }
}

/** `runnel scheduler`. */
export async function runScheduler(): Promise<void> {
  const rt = await Runtime.open(loadConfig(), { component: "scheduler", migrate: true, syncDags: true, watchDags: true });
  startScheduler(rt);
  closeOnSignals(rt);
  rt.log.info("scheduler started");
}

/** `runnel worker`. */
export async function runWorker(opts: { concurrency?: number; lockDurationMs?: number; stalledIntervalMs?: number }): Promise<void> {
  const rt = await Runtime.open(loadConfig(), { component: "worker", watchDags: true, warehouse: true });
  startWorker(rt, opts);
  closeOnSignals(rt);
  rt.log.info({ concurrency: opts.concurrency ?? rt.config.workerConcurrency }, "worker started");
}

/** `runnel api`. */
export async function runApi(opts: ServeOptions): Promise<void> {
  const rt = await Runtime.open(loadConfig(), { component: "api", migrate: true, syncDags: true, watchDags: true });
  await listen(rt, opts.host, opts.port);
  closeOnSignals(rt);
  console.log(`Runnel API: http://${opts.host}:${opts.port}`);
}
