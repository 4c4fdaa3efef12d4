import type { Server } from "node:http";
import { loadConfig, type RunnelConfig } from "../config/config";
import { createApp } from "../api/app";
import { ensureAdminUser } from "../api/auth/bootstrapAdmin";
import { ensureLocalServices } from "../infra/localServices";
import { Runtime } from "../runtime/runtime";
import { startScheduler, startWorker } from "../runtime/services";

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

/** Closes the runtime on SIGINT/SIGTERM, then exits. */
function closeOnSignals(rt: Runtime, extra?: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    rt.log.info({ signal }, "shutting down");
    void rt
      .close()
      .then(() => extra?.())
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

/** `runnel start`: everything in one process, with private Postgres/Redis when none is configured or running. */
export async function runStart(opts: ServeOptions): Promise<void> {
  const base = loadConfig();
  const services = await ensureLocalServices(base, (msg) => console.log(msg));
  const config: RunnelConfig = { ...base, databaseUrl: services.databaseUrl, redisUrl: services.redisUrl, warehouseUrl: base.warehouseUrl === base.databaseUrl ? services.databaseUrl : base.warehouseUrl };
  const rt = await Runtime.open(config, { component: "start", migrate: true, syncDags: true, watchDags: true, warehouse: true });
  startScheduler(rt);
  startWorker(rt, { concurrency: opts.concurrency });
  await listen(rt, opts.host, opts.port);
  closeOnSignals(rt, () => services.stop());
  const dags = rt.registry.list().map((d) => d.serialized.dagId);
  console.log(`Runnel is running: http://${opts.host}:${opts.port}  (DAGs: ${dags.join(", ") || "none"}; import errors: ${rt.registry.importErrors().length})`);
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
