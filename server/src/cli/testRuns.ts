import type { RunnelConfig } from "../config/config";
import { TaskDispatch } from "../scheduler/taskDispatch";
import type { LoadedDag } from "../dags/dagFolder";
import { DagRegistry } from "../dags/dagRegistry";
import { InlineDispatcher } from "../executor/inlineDispatcher";
import { TryRunner } from "../executor/runTry";
import { createWarehouse } from "../executor/warehouse";
import { silentLogger } from "../obs/logger";
import { RunType } from "../model/states";
import { inferManualInterval, intervalForLogicalDate, parseDateInZone } from "../schedule/index";
import type { Db } from "../store/db";
import { withConn } from "../store/pgConn";
import { openMigratedDb } from "./cliDb";
import { CliError } from "./cliError";
import { startRunNow } from "../store/runControl";
import { createRun, finalizeRunIfDone, getRun } from "../store/runs";
import { listTaskInstances, resolvePending } from "../store/taskInstances";

interface TestEnv {
  db: Db;
  registry: DagRegistry;
  loaded: LoadedDag;
  versionId: number;
  runner: TryRunner;
  dispatcher: InlineDispatcher;
  close(): Promise<void>;
}

async function openTestEnv(config: RunnelConfig, dagId: string, out: (line: string) => void): Promise<TestEnv> {
  const db = await openMigratedDb(config, "runnel-test-cli");
  const registry = new DagRegistry({ folder: config.dagsFolder, db });
  await registry.refresh();
  const loaded = registry.get(dagId);
  const versionId = registry.versionId(dagId);
  if (!loaded || versionId === undefined) {
    const err = registry.importErrors().map((e) => `\n  ${e.fileloc}: ${e.message}`).join("");
    await db.destroy();
    throw new CliError(`no DAG "${dagId}" in ${config.dagsFolder}${err ? `; import errors:${err}` : ""}`);
  }
  const warehouse = createWarehouse(config.warehouseUrl, config.warehouseSchema);
  await warehouse.ensureSchema();
  const dispatcher = new InlineDispatcher();
  const runner = new TryRunner({
    db,
    dags: registry,
    dispatch: new TaskDispatch({ db, dispatcher, dags: registry, queueAll: true }),
    warehouse,
    log: silentLogger(),
    echo: (claim, line) => out(`[${claim.taskId} try ${claim.tryNumber}] ${line.level.toUpperCase()} ${line.message}`),
  });
  // Heartbeats, as a worker sends them: a scheduler watching the same database must not take a
  // long test task for a zombie.
  runner.startBackground();
  return {
    db,
    registry,
    loaded,
    versionId,
    runner,
    dispatcher,
    async close() {
      runner.stopBackground();
      registry.close();
      await warehouse.close();
      await db.destroy();
    },
  };
}

/**
 * `runnel dags test`: runs every task of the DAG for one logical date in this process, in
 * dependency order with retries, through the same store verbs and runner as the workers, and
 * prints each task's log and final state. Returns the run's final state.
 *
 * The run is a test run (run type `test`, run id `test__<logical date>__<ms>`): it shows in the
 * grid marked as such and keeps its task instances, attempts, logs and lineage, but it starts no
 * dataset-triggered run, opens no dead letters (invalid records and failures are in its logs)
 * and does not count for the scheduler (catchup, next run, maxActiveRuns).
 */
export async function testDag(config: RunnelConfig, dagId: string, date: string, out: (line: string) => void): Promise<string> {
  const env = await openTestEnv(config, dagId, out);
  try {
    const dagRunId = await createTestRun(env, date);
    const run0 = await getRun(env.db, dagRunId);
    out(`test run ${run0?.run_id} (${dagId}, logical date ${run0?.logical_date.toISOString()})`);
    for (;;) {
      const resolved = await withConn(env.db, (conn) => resolvePending(conn, { kind: "runs", dagRunIds: [dagRunId] }, () => true));
      await env.dispatcher.enqueue(resolved.queued);
      const job = await env.dispatcher.next();
      if (!job) break;
      await env.runner.run(job);
    }
    await withConn(env.db, (conn) => finalizeRunIfDone(conn, dagRunId));
    for (const ti of await listTaskInstances(env.db, dagRunId)) out(`${ti.task_id.padEnd(32)} ${ti.state} (tries: ${ti.try_number})`);
    const run = await getRun(env.db, dagRunId);
    out(`run state: ${run?.state}`);
    return run?.state ?? "unknown";
  } finally {
    await env.close();
  }
}

/** Creates the test run, started at once: the interval of a scheduled run at `date` (or a manual run's when `date` is not a fire time). */
async function createTestRun(env: TestEnv, date: string): Promise<number> {
  let logicalDate: Date;
  try {
    logicalDate = parseDateInZone(date, env.loaded.serialized.timezone, "date");
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const interval = intervalForLogicalDate(env.loaded.schedule, logicalDate) ?? inferManualInterval(env.loaded.schedule, logicalDate);
  const dagRunId = await createRun(env.db, {
    dagId: env.loaded.serialized.dagId,
    runId: `test__${logicalDate.toISOString()}__${Date.now()}`,
    runType: RunType.test,
    logicalDate,
    dataIntervalStart: interval.start,
    dataIntervalEnd: interval.end,
    versionId: env.versionId,
    graph: env.loaded.serialized,
  });
  if (dagRunId === null) throw new CliError("could not create the test run (a run with the same id exists); try again");
  await startRunNow(env.db, dagRunId);
  return dagRunId;
}
