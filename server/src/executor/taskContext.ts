import type { DagDefinition } from "../sdk/defineDag";
import { formatDs, partitionKey } from "../schedule/index";
import type { TaskContext } from "../sdk/types";
import type { Db } from "../store/db";
import type { ClaimedTry } from "../store/taskTries";
import type { AttemptLog } from "./attemptLog";
import { createTaskLookup, namedConnection } from "./sensorContext";
import { historyForRun, type TaskHistory } from "./taskHistory";
import { createTaskIo } from "./taskIo";
import type { Warehouse } from "./warehouse";

/** A task failure decided by the engine rather than thrown by the task (bad params, a missing task, ...). */
export class TaskFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The run's params, parsed by the DAG's zod schema (defaults applied). @throws TaskFailure naming each bad field. */
export function parseRunParams(dag: DagDefinition, conf: Record<string, unknown>): unknown {
  const schema = dag.options.params;
  if (!schema) return conf;
  const parsed = schema.safeParse(conf);
  if (!parsed.success) throw new TaskFailure(`invalid params: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`, "INVALID_PARAMS");
  return parsed.data;
}

/** What a task's context is built from; the worker and an isolated child process build it alike. */
export interface TaskContextSource {
  claim: ClaimedTry;
  /** The DAG's timezone (partition and `ds`). */
  timezone: string;
  /** alias in ctx.upstream -> upstream task id */
  needs: Record<string, string>;
  params: unknown;
  log: AttemptLog;
  signal: AbortSignal;
  db: Db;
  warehouse: Warehouse;
  /**
   * Where the try's lineage and dead letters go. Default: stored in `db` (see `historyForRun`:
   * a `dags test` run opens no dead letters); `tasks test` passes one that records nothing.
   */
  history?: TaskHistory;
}

/** The `ctx` a task function receives for one try. */
export function buildTaskContext(s: TaskContextSource): TaskContext<Record<string, unknown>, unknown> {
  const { claim, timezone: tz } = s;
  const interval = { start: claim.dataIntervalStart, end: claim.dataIntervalEnd };
  const partition = partitionKey(interval, tz);
  const upstream: Record<string, unknown> = {};
  for (const [alias, taskId] of Object.entries(s.needs)) upstream[alias] = claim.upstreamOutputs[taskId] ?? null;
  const ti = { taskInstanceId: claim.id, dagRunId: claim.dagRunId, dagId: claim.dagId, taskId: claim.taskId, tryNumber: claim.tryNumber, partition };
  const history = s.history ?? historyForRun(s.db, ti, claim.runType, s.log);
  const io = createTaskIo({ warehouse: s.warehouse, ti, log: s.log, history });
  return {
    dagId: claim.dagId,
    taskId: claim.taskId,
    runId: claim.runId,
    traceId: claim.runId,
    logicalDate: claim.logicalDate,
    dataInterval: interval,
    ds: formatDs(claim.logicalDate, tz),
    partition,
    params: s.params,
    upstream,
    attempt: claim.tryNumber,
    maxTries: claim.maxTries,
    signal: s.signal,
    log: s.log,
    connection: (name) => namedConnection(name),
    lookup: createTaskLookup(s.db),
    ...io,
  };
}
