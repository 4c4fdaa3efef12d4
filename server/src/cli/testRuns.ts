import type { RunnelConfig } from "../config/config";
import type { LoadedDag } from "../dags/dagFolder";
import { DagRegistry } from "../dags/dagRegistry";
import { InlineDispatcher } from "../executor/inlineDispatcher";
import { TryRunner } from "../executor/runTry";
import { createWarehouse } from "../executor/warehouse";
import { silentLogger } from "../obs/logger";
import { intervalForLogicalDate, parseDateInZone } from "../schedule/index";
import { triggerRun } from "../scheduler/triggerRun";
import type { Db } from "../store/db";
import { withConn } from "../store/pgConn";
import { openMigratedDb } from "./dagCommands";
import { deleteRun, forceQueueTask, startRunNow } from "../store/runControl";
import { finalizeRunIfDone, getRun } from "../store/runs";
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
    throw new Error(`no DAG "${dagId}" in ${config.dagsFolder}${err ? `; import errors:${err}` : ""}`);
  }
  const warehouse = createWarehouse(config.warehouseUrl, config.warehouseSchema);
  await warehouse.ensureSchema();
  const dispatcher = new InlineDispatcher();
  const runner = new TryRunner({
    db,
    dags: registry,
    dispatcher,
    warehouse,
    log: silentLogger(),
    echo: (claim, line) => out(`[${claim.taskId} try ${claim.tryNumber}] ${line.level.toUpperCase()} ${line.message}`),
  });
  return {
    db,
    registry,
    loaded,
    versionId,
    runner,
    dispatcher,
    async close() {
      registry.close();
      await warehouse.close();
      await db.destroy();
    },
  };
}

function logicalDateOf(loaded: LoadedDag, date: string): { logicalDate: Date } {
  const logicalDate = parseDateInZone(date, loaded.serialized.timezone);
  return { logicalDate };
}

/**
 * `runnel dags test`: runs every task of the DAG for one logical date in this process, in
 * dependency order with retries, through the same store verbs and runner as the workers, and
 * prints each task's log and final state. Returns the run's final state.
 */
export async function testDag(config: RunnelConfig, dagId: string, date: string, out: (line: string) => void): Promise<string> {
  const env = await openTestEnv(config, dagId, out);
  try {
    const { logicalDate } = logicalDateOf(env.loaded, date);
    const { dagRunId, runId } = await triggerRun(env.db, env.loaded, env.versionId, { logicalDate, runId: `test__${logicalDate.toISOString()}__${Date.now()}` });
    const interval = intervalForLogicalDate(env.loaded.schedule, logicalDate);
    if (interval) await env.db("dag_runs").where({ id: dagRunId }).update({ data_interval_start: interval.start, data_interval_end: interval.end });
    await startRunNow(env.db, dagRunId);
    out(`run ${runId} (${dagId}, logical date ${logicalDate.toISOString()})`);
    for (;;) {
      const resolved = await withConn(env.db, (conn) => resolvePending(conn, { kind: "runs", dagRunIds: [dagRunId] }, () => true));
      await env.dispatcher.enqueue(resolved.queued);
      const job = await env.dispatcher.next();
      if (!job) break;
      await env.runner.run(job.id, job.tryNumber);
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

/**
 * `runnel tasks test`: runs one task for one logical date, ignoring its upstream and recording
 * nothing afterwards (the throwaway run is deleted); upstream outputs are empty. Returns the
 * task's state and output.
 */
export async function testTask(config: RunnelConfig, dagId: string, taskId: string, date: string, out: (line: string) => void): Promise<{ state: string; output: unknown }> {
  const env = await openTestEnv(config, dagId, out);
  try {
    if (!env.loaded.dag.tasks.has(taskId)) throw new Error(`DAG ${dagId} has no task "${taskId}" (tasks: ${[...env.loaded.dag.tasks.keys()].join(", ")})`);
    const { logicalDate } = logicalDateOf(env.loaded, date);
    const { dagRunId } = await triggerRun(env.db, env.loaded, env.versionId, { logicalDate, runId: `tasktest__${taskId}__${logicalDate.toISOString()}__${Date.now()}` });
    try {
      await startRunNow(env.db, dagRunId);
      const queued = await forceQueueTask(env.db, dagRunId, taskId);
      if (!queued) throw new Error(`could not queue ${taskId}`);
      let report = await env.runner.run(queued.id, queued.tryNumber);
      // Retries of a failing task wait for their delay, as in a worker.
      for (let job = await env.dispatcher.next(); job; job = await env.dispatcher.next()) {
        if (job.id === queued.id) report = await env.runner.run(job.id, job.tryNumber);
      }
      const ti = (await listTaskInstances(env.db, dagRunId)).find((t) => t.task_id === taskId);
      out(`${taskId}: ${ti?.state ?? report.state}`);
      if (ti?.output !== null && ti?.output !== undefined) out(`output: ${JSON.stringify(ti.output)}`);
      return { state: ti?.state ?? String(report.state), output: ti?.output ?? null };
    } finally {
      await deleteRun(env.db, dagRunId);
    }
  } finally {
    await env.close();
  }
}
