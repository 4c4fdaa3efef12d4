import { hostname } from "node:os";
import type { LoadedDag } from "../dags/dagFolder";
import type { SerializedTask } from "../model/graph";
import type { TaskSpec } from "../sdk/defineDag";
import { describeError, isInfrastructureError } from "../infra/serviceErrors";
import type { Logger } from "../obs/logger";
import type { RunnelMetrics } from "../obs/metrics";
import { retryAfterDelay, runnelErrorCode } from "../sdk/errors";
import { AttemptState, TaskState } from "../model/states";
import type { TaskContext } from "../sdk/types";
import type { Db } from "../store/db";
import type { ReadyDispatch } from "../store/taskInstances";
import { dagVersionHash, recordedDagHasTask } from "../store/dags";
import { claimTries, closeCanceledTry, finishTries, heartbeat, markAbortIgnored, releaseClaim, triesNoLongerCurrent, type ClaimedTry, type ClaimRefusal, type ClaimRequest, type TryOutcome } from "../store/taskTries";
import type { TaskJobData } from "./dispatcher";
import { MicroBatcher } from "./microBatcher";
import { rescheduleTry } from "../store/sensorTries";
import { PokeRescheduled, pokeOnce, pokeUntilTrue } from "./sensorPoke";
import { insertLogLines } from "../store/taskLogs";
import { AttemptLog, captureConsole } from "./attemptLog";
import { runWithTimeout } from "./tryTimeout";
import { retryPolicyOf, settleFailure, settleLostTry, type SettleDeps } from "./settleFailure";
import { runCheck } from "./runCheck";
import type { ChildTaskRequest } from "./isolation/protocol";
import { runInChildProcess } from "./isolation/runInChildProcess";
import { buildTaskContext, parseRunParams, TaskFailure } from "./taskContext";
import type { Warehouse } from "./warehouse";
import type { TryObserver } from "./tryObserver";
import { ABORT_IGNORED_AFTER_MS, TryCanceledError } from "./tryCanceled";

/** Where the runner finds task code: the process's DAG registry. */
export interface DagLookup {
  get(dagId: string): LoadedDag | undefined;
  /**
   * Reloads the DAG folder when a file changed (DagRegistry.refresh). Given, the runner calls it
   * when a try belongs to a DAG version or task it has not loaded, and hands the try back while
   * the schedulers know a task it still cannot load; absent (`dags test`), it never waits.
   */
  refresh?(): Promise<unknown>;
}

/** How long a try handed back (its DAG not loaded here yet) waits before it is delivered again. */
export const NOT_LOADED_RETRY_MS = 1000;

export interface TryRunnerDeps {
  db: Db;
  dags: DagLookup;
  /** The one admission-and-dispatch path (scheduler/taskDispatch.ts): caps, priority, push. */
  dispatch: ReadyDispatch;
  warehouse: Warehouse;
  log: Logger;
  metrics?: RunnelMetrics;
  workerName?: string;
  /** Echo each task log line (CLI `dags test`). */
  echo?: (claim: ClaimedTry, line: { level: string; message: string }) => void;
  random?: () => number;
  /** Hears tries start and end (OpenLineage export); when absent the runner does nothing extra. */
  observer?: TryObserver;
  /** Connection settings for `isolation: "process"` children; without them such tasks run in-process. */
  isolation?: Pick<ChildTaskRequest, "databaseUrl" | "warehouseUrl" | "warehouseSchema">;
  /** Most bytes of log one try stores (RUNNEL_MAX_LOG_BYTES_PER_TRY; AttemptLog's default when absent). */
  maxLogBytesPerTry?: number;
  /** Waits between attempts to write a try's outcome while Postgres is unreachable: first and longest (doubling). Default 200 ms and 5 s. */
  outcomeRetryMs?: { first: number; max: number };
}

/** A try this worker is running: its live log and the abort a cancel (or its timeout) fires. */
interface ActiveTry {
  id: number;
  tryNumber: number;
  log: AttemptLog;
  abort: AbortController;
  /** The body returned or threw (the slot is free once the outcome is written). */
  settled: boolean;
  /** The poll found the try no longer current and aborted it. */
  canceled: boolean;
}

/** How one try ended, for callers that print it. */
export interface TryReport {
  /**
   * `canceled`: the try stopped because its task instance moved on (run canceled, task marked or cleared).
   * `deferred`: handed back before it ran (its DAG is not loaded here yet); deliver the job again after `retryInMs`.
   */
  state: TaskState | "stale" | "canceled" | "deferred";
  retryInMs?: number;
  claim?: ClaimedTry;
  error?: string;
  lines: { level: string; message: string }[];
}


/**
 * Runs one try of one task instance: claim it (fenced), build its context, run it with its
 * timeout, and record the outcome with fast follow of the downstream. Never throws for task
 * errors: Postgres, not BullMQ, decides retries.
 */
export class TryRunner {
  readonly workerName: string;
  private readonly active = new Map<string, ActiveTry>();
  /** A poll for canceled tries is in flight (the next tick skips rather than piles up). */
  private polling = false;
  private timer: NodeJS.Timeout | undefined;
  /** Set by stopBackground: outcome writes still waiting for Postgres give up (the reconciler settles those tries). */
  private stopped = false;
  /** Version hashes by dag_versions id (the rows never change). */
  private readonly versionHashes = new Map<number, string | undefined>();
  /** Versions whose mismatch with the loaded file already caused one reload (a run of an older version must not reload on every try). */
  private readonly reloadedFor = new Set<number>();

  /** Claims and completions arriving together share one round trip (see MicroBatcher). */
  private readonly claims: MicroBatcher<ClaimRequest, ClaimedTry | ClaimRefusal>;
  private readonly finishes: MicroBatcher<TryOutcome, { won: boolean; runState: string | null }>;

  constructor(private readonly deps: TryRunnerDeps) {
    this.workerName = deps.workerName ?? `${hostname()}:${process.pid}`;
    captureConsole();
    this.claims = new MicroBatcher((requests) => claimTries(deps.db, requests, this.workerName));
    this.finishes = new MicroBatcher(async (outcomes) => {
      const batch = await finishTries(deps.db, outcomes, (d) => deps.dispatch.queueReady(d));
      // Committed: a failed push must not make the caller write the outcome again. What it would
      // have pushed is queued (or scheduled) in Postgres, where the reconciler and admission find it.
      await deps.dispatch.dispatch(batch).catch((err: unknown) => deps.log.warn({ err: describeError(err) }, "could not push the work a finish readied; the reconciler will"));
      return batch.results;
    });
  }

  private settleDeps(log: Logger = this.deps.log): SettleDeps {
    return { db: this.deps.db, dispatch: this.deps.dispatch, log, random: this.deps.random };
  }

  /**
   * Starts the heartbeat, live-log flush and cancel poll loop (every `intervalMs`): each tick asks
   * Postgres, in one statement, which of this worker's tries are no longer current, and aborts them.
   */
  startBackground(intervalMs = 1000, heartbeatEvery = 5): void {
    let ticks = 0;
    this.timer = setInterval(() => {
      ticks++;
      void this.flushLogs().catch((err: unknown) => this.deps.log.warn({ err }, "log flush failed"));
      void this.abortCanceledTries().catch((err: unknown) => this.deps.log.warn({ err: describeError(err) }, "cancel poll failed"));
      if (ticks % heartbeatEvery === 0) {
        void heartbeat(this.deps.db, [...this.active.values()]).catch((err: unknown) => this.deps.log.warn({ err }, "heartbeat failed"));
      }
    }, intervalMs);
    this.timer.unref();
  }

  stopBackground(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Writes a try's outcome, again and again while Postgres (or Redis) is unreachable, until it
   * answers: a try that ran must not lose its result to a database restart. Every outcome write
   * is fenced on the try (state and try number), so a write that did commit before its
   * connection dropped makes the next attempt lose the fence (reported as stale) instead of
   * recording the result twice. The heartbeat keeps the try alive meanwhile; if the process
   * stops first, the try stays running and the reconciler settles it as lost, as after a crash.
   */
  private async untilWritten<T>(claim: ClaimedTry, what: string, write: () => Promise<T>): Promise<T> {
    const wait = this.deps.outcomeRetryMs ?? { first: 200, max: 5000 };
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (this.stopped || !isInfrastructureError(err)) throw err;
        if (attempt === 1) this.deps.log.warn({ traceId: claim.runId, taskId: claim.taskId, try: claim.tryNumber, err: describeError(err) }, `cannot record the ${what} yet; retrying until the database answers`);
        await new Promise((r) => setTimeout(r, Math.min(wait.max, wait.first * 2 ** Math.min(attempt - 1, 20))));
      }
    }
  }

  /** Aborts the bodies of running tries whose task instance moved on (canceled run, marked or cleared task). */
  async abortCanceledTries(): Promise<void> {
    if (this.polling) return;
    const running = [...this.active.values()].filter((a) => !a.settled && !a.canceled);
    if (!running.length) return;
    this.polling = true;
    try {
      const gone = await triesNoLongerCurrent(this.deps.db, running);
      for (const g of gone) {
        const a = this.active.get(`${g.id}:${g.tryNumber}`);
        if (a && !a.settled && !a.canceled) this.cancel(a);
      }
    } finally {
      this.polling = false;
    }
  }

  private cancel(a: ActiveTry): void {
    a.canceled = true;
    this.deps.log.info({ id: a.id, try: a.tryNumber }, "try is no longer current: aborting its body");
    a.abort.abort(new TryCanceledError());
    // An in-process body cannot be killed: if it ignores its signal, say so instead of pretending it stopped.
    setTimeout(() => {
      if (a.settled) return;
      this.deps.log.warn({ id: a.id, try: a.tryNumber }, "still running after cancel; it ignores its abort signal");
      void markAbortIgnored(this.deps.db, a.id, a.tryNumber).catch((err: unknown) => this.deps.log.warn({ err: describeError(err) }, "could not record an ignored abort"));
    }, ABORT_IGNORED_AFTER_MS).unref();
  }

  private async flushLogs(): Promise<void> {
    for (const a of this.active.values()) {
      const lines = a.log.drainLive();
      if (lines.length) await insertLogLines(this.deps.db, a.id, a.tryNumber, lines);
    }
  }

  /**
   * Runs the try a job names: try `tryNumber` of task instance `id`. `poke` names the delivery
   * (0 first, n the poke after n rescheduled pokes) and fences the claim; undefined claims
   * whatever poke is due. Takes the job as one object so no caller can drop a field of it.
   */
  async run(job: TaskJobData): Promise<TryReport> {
    const { id, tryNumber, poke } = job;
    const claim = await this.claims.submit({ id, tryNumber, poke });
    if (claim === "stale") {
      this.deps.log.debug({ id, try: tryNumber }, "dropped a stale job");
      return { state: "stale", lines: [] };
    }
    if (claim === "running_elsewhere") {
      const task = this.findTask(await this.dagIdOf(id), undefined);
      const state = await settleLostTry(this.settleDeps(), id, tryNumber, "worker lost: the previous holder of this try stopped (stalled job)", task);
      return { state: state ?? "stale", lines: [] };
    }
    if (!(await this.ensureLoaded(claim))) {
      if (await releaseClaim(this.deps.db, claim.id, claim.tryNumber)) {
        this.deps.log.warn({ dagId: claim.dagId, taskId: claim.taskId, try: claim.tryNumber }, "task not loaded in this worker yet (the schedulers know it): handed back, not counted as a try");
        return { state: "deferred", claim, retryInMs: NOT_LOADED_RETRY_MS, lines: [] };
      }
      return { state: "stale", lines: [] };
    }
    return this.execute(claim);
  }

  /**
   * Whether this process can run the try with the DAG version it belongs to. A try of a version
   * or task this process has not loaded (a file the schedulers read before this worker's folder
   * poll did, or just edited) reloads the folder first. Answers false (hand it back) only while the
   * task is still missing here but the DAG as the schedulers recorded it has it; a task that nobody
   * knows any more runs on and fails as "not in any loaded DAG file".
   */
  private async ensureLoaded(claim: ClaimedTry): Promise<boolean> {
    const lookup = this.deps.dags;
    if (!lookup.refresh || claim.sensorPokes > 0) return true;
    const loaded = lookup.get(claim.dagId);
    if (loaded?.dag.tasks.has(claim.taskId)) {
      if (this.reloadedFor.has(claim.dagVersionId) || (await this.versionHashOf(claim.dagVersionId)) === loaded.versionHash) return true;
      this.reloadedFor.add(claim.dagVersionId);
    }
    await lookup.refresh().catch((err: unknown) => this.deps.log.warn({ err: describeError(err) }, "DAG folder reload failed"));
    if (lookup.get(claim.dagId)?.dag.tasks.has(claim.taskId)) return true;
    return !(await recordedDagHasTask(this.deps.db, claim.dagId, claim.taskId));
  }

  private async versionHashOf(versionId: number): Promise<string | undefined> {
    if (!this.versionHashes.has(versionId)) this.versionHashes.set(versionId, await dagVersionHash(this.deps.db, versionId));
    return this.versionHashes.get(versionId);
  }

  private async dagIdOf(id: number): Promise<string | undefined> {
    const row = await this.deps.db("task_instances").select("dag_id", "task_id").where({ id }).first<{ dag_id: string; task_id: string } | undefined>();
    return row ? `${row.dag_id}\u0000${row.task_id}` : undefined;
  }

  private findTask(key: string | undefined, claim: ClaimedTry | undefined): SerializedTask | undefined {
    const [dagId, taskId] = claim ? [claim.dagId, claim.taskId] : (key?.split("\u0000") ?? []);
    if (!dagId || !taskId) return undefined;
    return this.deps.dags.get(dagId)?.serialized.tasks.find((t) => t.id === taskId);
  }

  private async execute(claim: ClaimedTry): Promise<TryReport> {
    const key = `${claim.id}:${claim.tryNumber}`;
    const log = new AttemptLog(this.deps.echo ? (line) => this.deps.echo?.(claim, line) : undefined, { maxBytes: this.deps.maxLogBytesPerTry });
    const entry: ActiveTry = { id: claim.id, tryNumber: claim.tryNumber, log, abort: new AbortController(), settled: false, canceled: false };
    this.active.set(key, entry);
    const plog = this.deps.log.child({ traceId: claim.runId, dagId: claim.dagId, taskId: claim.taskId, try: claim.tryNumber });
    if (claim.queuedAt) this.deps.metrics?.queueWait.observe({ dag_id: claim.dagId }, (claim.startDate.getTime() - claim.queuedAt.getTime()) / 1000);
    const observer = this.deps.observer;
    const task = observer ? this.findTask(undefined, claim) : undefined;
    // A reschedule-mode sensor's later pokes continue the try that its first poke started.
    if (observer && claim.sensorPokes === 0) observer.started(claim, task);
    const started = performance.now();
    let report: TryReport;
    try {
      let output: unknown;
      try {
        output = await this.invoke(claim, log, entry.abort);
      } finally {
        entry.settled = true;
      }
      report = entry.canceled ? await this.canceled(claim, log) : await this.succeed(claim, log, output);
    } catch (err) {
      if (entry.canceled) report = await this.canceled(claim, log);
      else report = err instanceof PokeRescheduled ? await this.reschedule(claim, log, err) : await this.fail(claim, log, err, plog);
    } finally {
      this.active.delete(key);
    }
    this.deps.metrics?.taskDuration.observe({ dag_id: claim.dagId, state: String(report.state) }, (performance.now() - started) / 1000);
    this.deps.metrics?.taskFinished.inc({ dag_id: claim.dagId, state: String(report.state) });
    // To an observer a canceled try is one whose task instance moved on without it (TryEnd's `stale`); an executed try is never `deferred`.
    observer?.finished(claim, task, { state: report.state === "canceled" || report.state === "deferred" ? "stale" : report.state, error: report.error });
    plog.debug({ state: report.state }, "try finished");
    return report;
  }

  private async invoke(claim: ClaimedTry, log: AttemptLog, controller: AbortController): Promise<unknown> {
    const loaded = this.deps.dags.get(claim.dagId);
    const spec = loaded?.dag.tasks.get(claim.taskId);
    const task = loaded?.serialized.tasks.find((t) => t.id === claim.taskId);
    if (!loaded || !spec || !task) throw new TaskFailure(`task ${claim.dagId}.${claim.taskId} is not in any loaded DAG file (removed, or its file has an import error)`, "TASK_NOT_FOUND");
    const params = parseRunParams(loaded.dag, claim.conf);
    const isolated = task.isolation === "process" && !task.sensor && !spec.check ? this.childRequest(claim, loaded) : undefined;
    // An isolated try builds its context in the child; only an in-process one needs it here.
    const body = isolated ? () => runInChildProcess(isolated, log, controller.signal) : this.inProcessBody(claim, loaded, spec, task, params, log, controller.signal);
    return runWithTimeout(task.timeoutMs, controller, log, body);
  }

  /** The try's body run in this process: the task, a sensor's poke(s) or a check, with its context. */
  private inProcessBody(claim: ClaimedTry, loaded: LoadedDag, spec: TaskSpec, task: SerializedTask, params: unknown, log: AttemptLog, signal: AbortSignal): () => unknown {
    const ctx = buildTaskContext({ claim, timezone: loaded.serialized.timezone, needs: task.needs, params, log, signal, db: this.deps.db, warehouse: this.deps.warehouse });
    const run = () => spec.run(ctx as TaskContext<never, never>);
    const sensor = task.sensor;
    const check = spec.check;
    if (check) return () => runCheck(check, ctx, { db: this.deps.db, dagRunId: claim.dagRunId, taskInstanceId: claim.id, tryNumber: claim.tryNumber });
    if (!sensor) return run;
    return sensor.mode === "reschedule"
      ? () => pokeOnce(sensor, run, { pokesDone: claim.sensorPokes, startedAt: claim.sensorStartedAt ?? claim.startDate }, log)
      : () => pokeUntilTrue(sensor, run, log, signal);
  }

  /**
   * What a child process needs to run this try (`isolation: "process"`), or undefined where
   * the worker has no connection settings to hand it (`dags test` runs tasks in-process).
   */
  private childRequest(claim: ClaimedTry, loaded: LoadedDag): ChildTaskRequest | undefined {
    const conn = this.deps.isolation;
    if (!conn) return undefined;
    const dagFolder = loaded.path.slice(0, loaded.path.length - loaded.fileloc.length) || ".";
    return { dagFile: loaded.path, dagFolder, timezone: loaded.serialized.timezone, claim, ...conn };
  }

  private async succeed(claim: ClaimedTry, log: AttemptLog, output: unknown): Promise<TryReport> {
    let stored: unknown;
    try {
      stored = output === undefined ? undefined : JSON.parse(JSON.stringify(output));
    } catch (err) {
      throw new TaskFailure(`task output is not JSON: ${(err as Error).message}`, "OUTPUT_NOT_JSON");
    }
    const outcome: TryOutcome = {
      id: claim.id,
      dagRunId: claim.dagRunId,
      taskId: claim.taskId,
      tryNumber: claim.tryNumber,
      state: TaskState.success,
      attemptState: AttemptState.success,
      output: stored,
      logLines: log.drain(),
    };
    const result = await this.untilWritten(claim, "success", () => this.finishes.submit(outcome));
    if (!result.won) return await this.lostRace(claim, log);
    if (result.runState) this.deps.metrics?.runFinished.inc({ dag_id: claim.dagId, state: result.runState });
    return { state: TaskState.success, claim, lines: log.all };
  }

  /** A reschedule-mode poke said "not yet": release the slot, come back at the next poke. */
  private async reschedule(claim: ClaimedTry, log: AttemptLog, poke: PokeRescheduled): Promise<TryReport> {
    const request = { id: claim.id, tryNumber: claim.tryNumber, nextPokeAt: poke.nextPokeAt, firstPokeAt: poke.firstPokeAt, logLines: log.drain() };
    const pokes = await this.untilWritten(claim, "reschedule", () => rescheduleTry(this.deps.db, request));
    if (pokes === null) return await this.lostRace(claim, log);
    const delayMs = Math.max(0, poke.nextPokeAt.getTime() - Date.now());
    await this.deps.dispatch.dispatch({
      queued: [{ id: claim.id, tryNumber: claim.tryNumber, dagId: claim.dagId, queuePriority: claim.queuePriority, priorityWeight: claim.priorityWeight, delayMs, poke: pokes }],
    });
    return { state: TaskState.up_for_reschedule, claim, lines: log.all };
  }

  /**
   * The outcome write lost its fence: the task instance moved on (canceled, marked, cleared)
   * before the poll noticed. Its attempt row is closed as canceled rather than left running.
   */
  private async lostRace(claim: ClaimedTry, log: AttemptLog): Promise<TryReport> {
    this.deps.log.warn({ traceId: claim.runId, taskId: claim.taskId, try: claim.tryNumber }, "completion rejected: this try is no longer the current one");
    const closed = await closeCanceledTry(this.deps.db, { id: claim.id, tryNumber: claim.tryNumber, reason: new TryCanceledError().message, logLines: log.drain() }).catch((err: unknown) => {
      this.deps.log.warn({ err: describeError(err) }, "could not close the attempt of a stale try");
      return false;
    });
    return { state: closed ? "canceled" : "stale", claim, lines: log.all };
  }

  /** The try was aborted because its task instance moved on: record the attempt as canceled (no retry, no dead letter). */
  private async canceled(claim: ClaimedTry, log: AttemptLog): Promise<TryReport> {
    log.warn("stopped: canceled (the run was canceled, or the task was marked or cleared while running)");
    const request = { id: claim.id, tryNumber: claim.tryNumber, reason: new TryCanceledError().message, logLines: log.drain() };
    await this.untilWritten(claim, "cancel", () => closeCanceledTry(this.deps.db, request));
    return { state: "canceled", claim, lines: log.all };
  }

  private async fail(claim: ClaimedTry, log: AttemptLog, err: unknown, plog: Logger): Promise<TryReport> {
    const code = err instanceof TaskFailure ? err.code : (runnelErrorCode(err) ?? null);
    const message = err instanceof Error ? err.message : String(err);
    if (code === "SKIP") {
      log.info(`skipped: ${message}`);
      const outcome: TryOutcome = {
        id: claim.id,
        dagRunId: claim.dagRunId,
        taskId: claim.taskId,
        tryNumber: claim.tryNumber,
        state: TaskState.skipped,
        attemptState: AttemptState.skipped,
        logLines: log.drain(),
      };
      const result = await this.untilWritten(claim, "skip", () => this.finishes.submit(outcome));
      if (!result.won) return await this.lostRace(claim, log);
      return { state: TaskState.skipped, claim, lines: log.all };
    }
    log.error(err instanceof Error && err.stack && !(err instanceof TaskFailure) ? err.stack : message);
    const final = code === "NON_RETRYABLE" || err instanceof TaskFailure;
    const task = this.findTask(undefined, claim);
    const failed = { ...claim, error: message, errorCode: code, attemptState: AttemptState.failed, final, retryAfterMs: retryAfterDelay(err), logLines: log.drain() };
    const state = await this.untilWritten(claim, "failure", () => settleFailure(this.settleDeps(plog), failed, retryPolicyOf(task)));
    if (state === null) return await this.lostRace(claim, log);
    return { state, claim, error: message, lines: log.all };
  }
}
