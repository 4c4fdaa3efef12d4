import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, type RunnelConfig } from "../../src/config/config";
import { silentLogger } from "../../src/obs/logger";
import { Runtime } from "../../src/runtime/runtime";
import { startScheduler, startWorker, type WorkerServiceOptions } from "../../src/runtime/services";
import { triggerRun } from "../../src/scheduler/triggerRun";
import type { SchedulerLoop } from "../../src/scheduler/schedulerLoop";
import type { Db } from "../../src/store/db";
import { createTestDatabase, testQueuePrefix, TEST_REDIS_URL, type TestDatabase } from "./testDb";

export const ENGINE_DAGS = fileURLToPath(new URL("../fixtures/engine_dags/", import.meta.url));
export const REPO_DAGS = fileURLToPath(new URL("../../../dags/", import.meta.url));
export const RUNNEL_BIN = fileURLToPath(new URL("../../bin/runnel.mjs", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** A database, a queue prefix and a scratch folder for one test file, plus the config that points at them. */
export interface EngineEnv {
  tdb: TestDatabase;
  db: Db;
  config: RunnelConfig;
  scratch: string;
  /** Environment for child `runnel` processes. */
  childEnv: NodeJS.ProcessEnv;
  drop(): Promise<void>;
}

export async function createEngineEnv(label: string, overrides: Partial<RunnelConfig> = {}): Promise<EngineEnv> {
  const tdb = await createTestDatabase(label);
  const prefix = testQueuePrefix(label);
  const scratch = await mkdtemp(join(tmpdir(), `runnel-${label}-`));
  const base = { DATABASE_URL: tdb.url, REDIS_URL: TEST_REDIS_URL, RUNNEL_QUEUE_PREFIX: prefix, RUNNEL_DAGS_FOLDER: ENGINE_DAGS, RUNNEL_LOG_LEVEL: "warn" };
  const config = loadConfig(base, { schedulerIntervalMs: 100, reconcileIntervalMs: 500, ...overrides });
  return {
    tdb,
    db: tdb.db,
    config,
    scratch,
    childEnv: { ...process.env, ...base, RUNNEL_TEST_SCRATCH: scratch },
    async drop() {
      await tdb.drop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** Scheduler + worker in this process, as `runnel start` runs them (without the HTTP server). */
export interface Engine {
  rt: Runtime;
  scheduler?: SchedulerLoop;
  close(): Promise<void>;
}

export async function startEngine(config: RunnelConfig, opts: { scheduler?: boolean; worker?: boolean | WorkerServiceOptions } = {}): Promise<Engine> {
  const rt = await Runtime.open(config, { component: "test", migrate: true, syncDags: true, warehouse: true, logger: silentLogger() });
  const scheduler = opts.scheduler === false ? undefined : startScheduler(rt);
  if (opts.worker !== false) startWorker(rt, typeof opts.worker === "object" ? opts.worker : {});
  return { rt, scheduler, close: () => rt.close() };
}

/** Triggers a manual run of a loaded DAG and returns its database id. */
export async function trigger(rt: Runtime, dagId: string, conf: Record<string, unknown> = {}, logicalDate?: Date): Promise<number> {
  const loaded = rt.registry.get(dagId);
  const versionId = rt.registry.versionId(dagId);
  if (!loaded || versionId === undefined) throw new Error(`fixture DAG ${dagId} not loaded: ${JSON.stringify(rt.registry.importErrors())}`);
  return (await triggerRun(rt.db, loaded, versionId, { conf, logicalDate })).dagRunId;
}

/**
 * Waits until `probe` returns a value that is not undefined, checking every `everyMs`; fails with
 * `what` and the last seen value after `timeoutMs`. (Polls Postgres: the state lives there.)
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== undefined ? ` (last: ${JSON.stringify(last)})` : ""}`);
    last = value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits for a run to reach a terminal state and returns it. */
export async function waitForRunEnd(db: Db, dagRunId: number, timeoutMs = 30_000): Promise<string> {
  return waitFor(
    `run ${dagRunId} to end`,
    async () => {
      const row = await db("dag_runs").select("state").where({ id: dagRunId }).first<{ state: string } | undefined>();
      return row && ["success", "failed", "canceled"].includes(row.state) ? row.state : undefined;
    },
    timeoutMs,
  );
}

/** Task instance states of a run by task id. */
export async function taskStates(db: Db, dagRunId: number): Promise<Record<string, string>> {
  const rows = await db("task_instances").select("task_id", "state").where({ dag_run_id: dagRunId });
  return Object.fromEntries(rows.map((r: { task_id: string; state: string }) => [r.task_id, r.state]));
}

/** Attempts of one task instance of a run, oldest first. */
export async function attemptsOf(db: Db, dagRunId: number, taskId: string): Promise<{ try_number: number; state: string; start_date: Date; end_date: Date | null; error: string | null; error_code: string | null }[]> {
  return db("task_attempts as a")
    .join("task_instances as t", "t.id", "a.task_instance_id")
    .where({ "t.dag_run_id": dagRunId, "t.task_id": taskId })
    .select("a.try_number", "a.state", "a.start_date", "a.end_date", "a.error", "a.error_code")
    .orderBy("a.try_number");
}
