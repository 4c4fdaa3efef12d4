import type { RunnelConfig } from "../config/config";
import { loadDagFolder, type LoadedDag } from "../dags/dagFolder";
import { AttemptLog, captureConsole } from "../executor/attemptLog";
import { runWithTimeout } from "../executor/tryTimeout";
import { concludeCheck, judgeCheck } from "../executor/runCheck";
import { pokeUntilTrue } from "../executor/sensorPoke";
import { buildTaskContext, parseRunParams, TaskFailure } from "../executor/taskContext";
import { unrecordedTaskHistory } from "../executor/taskHistory";
import { createWarehouse } from "../executor/warehouse";
import type { SerializedTask } from "../model/graph";
import { RunType, TaskState } from "../model/states";
import { dueIntervals, inferManualInterval, intervalForLogicalDate, parseDateInZone, type CompiledSchedule, type DataInterval } from "../schedule/index";
import { runnelErrorCode } from "../sdk/errors";
import type { TaskSpec } from "../sdk/defineDag";
import type { TaskContext } from "../sdk/types";
import { dagIdOwners } from "../store/dags";
import type { Db } from "../store/db";
import { latestSuccessfulRunOutputs } from "../store/runOutputs";
import type { LogLine } from "../store/taskLogs";
import type { ClaimedTry } from "../store/taskTries";
import { openMigratedDb } from "./cliDb";
import { CliError } from "./cliError";

/** What `runnel tasks test` was given. */
export interface TaskTestOptions {
  /** `--logical-date` (default: that of the schedule's latest complete interval). */
  logicalDate?: string;
  /** `--upstream`: a JSON object of upstream task id -> its output; wins over a stored run's. */
  upstream?: string;
  /** `--conf`: the run's params as a JSON object, validated against the DAG's params. */
  conf?: string;
}

/** How the tested task ended. */
export interface TaskTestResult {
  state: typeof TaskState.success | typeof TaskState.failed | typeof TaskState.skipped;
  output: unknown;
}

/**
 * `runnel tasks test`: runs one task once, in this process, for one logical date, and records
 * nothing in Runnel's history — no run, task instance, attempt, log row, dead letter (invalid
 * records are printed), dataset event or dataset read. What the task itself writes (warehouse
 * partitions, files) is written: that is what testing a task means.
 *
 * Its upstream outputs come from `--upstream` or else from the latest successful run of that
 * logical date; an upstream with neither is an error before the task runs. Prints the task's log
 * lines, its state and its output (JSON).
 * @throws CliError for a bad DAG, task, date, JSON, params or a missing upstream output.
 */
export async function testTask(config: RunnelConfig, dagId: string, taskId: string, opts: TaskTestOptions, out: (line: string) => void): Promise<TaskTestResult> {
  const upstreamGiven = opts.upstream === undefined ? {} : parseJsonObject(opts.upstream, "--upstream");
  const conf = opts.conf === undefined ? {} : parseJsonObject(opts.conf, "--conf");
  const db = await openMigratedDb(config, "runnel-tasks-test");
  const warehouse = createWarehouse(config.warehouseUrl, config.warehouseSchema);
  try {
    const loaded = await loadDag(config.dagsFolder, dagId, await dagIdOwners(db));
    const spec = loaded.dag.tasks.get(taskId);
    const task = loaded.serialized.tasks.find((t) => t.id === taskId);
    if (!spec || !task) throw new CliError(`DAG ${dagId} has no task "${taskId}" (tasks: ${loaded.serialized.tasks.map((t) => t.id).join(", ")})`);
    const params = paramsOf(loaded, conf);
    const { logicalDate, interval } = datesOf(loaded, opts.logicalDate);
    for (const id of Object.keys(upstreamGiven)) {
      if (!task.upstream.includes(id)) throw new CliError(`--upstream names "${id}", which is not an upstream task of ${taskId} (upstream: ${task.upstream.join(", ") || "none"})`);
    }
    const upstreamOutputs = await upstreamOf(db, loaded, task, logicalDate, upstreamGiven, out);
    await warehouse.ensureSchema();
    const log = new AttemptLog((line) => out(formatLine(taskId, line)));
    const claim = testClaim(loaded, taskId, logicalDate, interval, conf, upstreamOutputs);
    const ctx = buildTaskContext({ claim, timezone: loaded.serialized.timezone, needs: task.needs, params, log, signal: new AbortController().signal, db, warehouse, history: unrecordedTaskHistory(log) });
    out(`testing ${dagId}.${taskId} for logical date ${logicalDate.toISOString()} (partition ${ctx.partition}); nothing is recorded in Runnel's history`);
    const result = await runOnce(spec, task, ctx, log);
    out(`${taskId}: ${result.state}`);
    if (result.state === TaskState.success && result.output !== undefined) out(`output: ${JSON.stringify(result.output)}`);
    return { state: result.state, output: result.output ?? null };
  } finally {
    await warehouse.close();
    await db.destroy();
  }
}

/** The DAG as the scheduler sees it: a reused id stays with the file that owns it (`dags.fileloc`). */
async function loadDag(folder: string, dagId: string, owners: ReadonlyMap<string, string>): Promise<LoadedDag> {
  const snapshot = await loadDagFolder(folder, {}, owners);
  const loaded = snapshot.dags.get(dagId);
  if (loaded) return loaded;
  const errors = snapshot.errors.map((e) => `\n  ${e.fileloc}: ${e.message}`).join("");
  throw new CliError(`no DAG "${dagId}" in ${folder}${errors ? `; import errors:${errors}` : ""}`);
}

function parseJsonObject(text: string, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${flag} is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CliError(`${flag} must be a JSON object`);
  return value as Record<string, unknown>;
}

function paramsOf(loaded: LoadedDag, conf: Record<string, unknown>): unknown {
  try {
    return parseRunParams(loaded.dag, conf);
  } catch (err) {
    if (err instanceof TaskFailure) throw new CliError(`--conf: ${err.message}`);
    throw err;
  }
}

/**
 * The logical date and data interval: those of a scheduled run at `--logical-date` (a manual
 * run's when it is not a fire time); by default the schedule's latest complete interval (the one
 * the scheduler has run or is about to), or a manual run's now for a DAG without a cron.
 */
function datesOf(loaded: LoadedDag, text: string | undefined): { logicalDate: Date; interval: DataInterval } {
  if (text === undefined) {
    const interval = latestCompleteInterval(loaded.schedule, new Date()) ?? inferManualInterval(loaded.schedule, new Date());
    return { logicalDate: interval.start, interval };
  }
  let logicalDate: Date;
  try {
    logicalDate = parseDateInZone(text, loaded.serialized.timezone, "--logical-date");
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return { logicalDate, interval: intervalForLogicalDate(loaded.schedule, logicalDate) ?? inferManualInterval(loaded.schedule, logicalDate) };
}

/** The latest interval that ended by `now`, within the DAG's start and end dates (null: none, or not a cron). */
function latestCompleteInterval(schedule: CompiledSchedule, now: Date): DataInterval | null {
  // With catchup off, the intervals due are exactly the latest complete one.
  const latestOnly: CompiledSchedule = { ...schedule, spec: { ...schedule.spec, catchup: false } };
  return dueIntervals(latestOnly, { lastLogicalDate: null, now, limit: 1 })[0] ?? null;
}

/** Each direct upstream's output: given with --upstream, else from the latest successful run of the date. */
async function upstreamOf(db: Db, loaded: LoadedDag, task: SerializedTask, logicalDate: Date, given: Record<string, unknown>, out: (line: string) => void): Promise<Record<string, unknown>> {
  const wanted = task.upstream.filter((id) => !(id in given));
  if (wanted.length === 0) return { ...given };
  const dagId = loaded.serialized.dagId;
  const stored = await latestSuccessfulRunOutputs(db, dagId, logicalDate, wanted);
  const missing = wanted.filter((id) => !stored || !(id in stored.outputs));
  if (missing.length > 0) {
    const where = stored ? `the latest successful run of ${dagId} for ${logicalDate.toISOString()} (${stored.runId}) has no task instance of them` : `there is no successful run of ${dagId} for ${logicalDate.toISOString()}`;
    const example = JSON.stringify(Object.fromEntries(missing.map((id) => [id, "<its output>"])));
    throw new CliError(`${task.id} needs the output of ${missing.join(", ")}, and ${where}: pass them with --upstream '${example}' (or choose a --logical-date with a successful run)`);
  }
  out(`upstream ${wanted.join(", ")} from run ${stored!.runId}${Object.keys(given).length ? `; ${Object.keys(given).join(", ")} from --upstream` : ""}`);
  return { ...stored!.outputs, ...given };
}

/** The try a tested task's context is built from: nothing of it is stored (ids are 0). */
function testClaim(loaded: LoadedDag, taskId: string, logicalDate: Date, interval: DataInterval, conf: Record<string, unknown>, upstreamOutputs: Record<string, unknown>): ClaimedTry {
  return {
    id: 0,
    dagRunId: 0,
    dagId: loaded.serialized.dagId,
    taskId,
    tryNumber: 1,
    maxTries: 1,
    queuedAt: null,
    startDate: new Date(),
    runId: `tasks_test__${logicalDate.toISOString()}`,
    runType: RunType.test,
    logicalDate,
    dataIntervalStart: interval.start,
    dataIntervalEnd: interval.end,
    conf,
    dagVersionId: 0,
    upstreamOutputs,
    queuePriority: 0,
    priorityWeight: 0,
    sensorStartedAt: null,
    sensorPokes: 0,
  };
}

/**
 * Runs the task once with its timeout (no retries): a sensor pokes in this process until it
 * is true or times out, a check judges without storing its results, and `isolation: "process"`
 * is ignored (the task runs in this process).
 */
async function runOnce(spec: TaskSpec, task: SerializedTask, ctx: TaskContext<Record<string, unknown>, unknown>, log: AttemptLog): Promise<{ state: TaskTestResult["state"]; output?: unknown }> {
  captureConsole();
  const controller = new AbortController();
  const context = { ...ctx, signal: controller.signal };
  const run = () => spec.run(context as TaskContext<never, never>);
  const check = spec.check;
  const sensor = task.sensor;
  const body = check ? async () => concludeCheck(check, context, await judgeCheck(check, context)) : sensor ? () => pokeUntilTrue(sensor, run, log, controller.signal) : run;
  try {
    const output = await runWithTimeout(task.timeoutMs, controller, log, body);
    try {
      return { state: TaskState.success, output: output === undefined ? undefined : JSON.parse(JSON.stringify(output)) };
    } catch (err) {
      log.error(`task output is not JSON: ${(err as Error).message}`);
      return { state: TaskState.failed };
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (runnelErrorCode(err) === "SKIP") {
      log.info(`skipped: ${message}`);
      return { state: TaskState.skipped };
    }
    log.error(err instanceof Error && err.stack ? err.stack : message);
    return { state: TaskState.failed };
  }
}

function formatLine(taskId: string, line: LogLine): string {
  const fields = line.fields && Object.keys(line.fields).length > 0 ? ` ${JSON.stringify(line.fields)}` : "";
  return `[${taskId}] ${line.level.toUpperCase()} ${line.message}${fields}`;
}
