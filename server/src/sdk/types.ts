import type { z } from "zod";
import type { Duration } from "./duration";
import type { TaskState, TriggerRule } from "../model/states";
import type { AlertEvent, DeadlineFrom } from "../model/alerts";
import type { Notifier } from "./notify";

/** A JSON value: what a task may return. It is stored per task instance and handed downstream. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

/** What a task's `run` may resolve to: JSON, or nothing. */
export type TaskOutput = JsonValue | void | undefined;

/** Retry, timeout and placement options; set per DAG in `defaults` and overridden per task. */
export interface TaskDefaults {
  /** Extra tries after the first failure (0 = one try only). Default 0. */
  retries?: number;
  /** Delay before the first retry. Default "30s". */
  retryDelay?: Duration;
  /** "fixed": always retryDelay; "exponential": retryDelay * 2^(try-1), capped by maxRetryDelay. Default "exponential". */
  backoff?: "fixed" | "exponential";
  /** Upper bound of an exponential delay. Default "1h". */
  maxRetryDelay?: Duration;
  /** Spread retry delays by up to ±`jitter` of their length (0..1). Default 0.1. */
  jitter?: number;
  /** Aborts `ctx.signal` and fails the try when it runs longer. Default: none. */
  timeout?: Duration;
  /** Larger runs first when slots are short. Default 1. */
  priorityWeight?: number;
  /**
   * "inline" runs in the worker process; "process" runs each try in a child process (a process
   * start per try), so a CPU-bound or runaway task cannot stall the worker and is killed at its
   * `timeout`. Sensors and checks always run inline. Default "inline".
   */
  isolation?: "inline" | "process";
  /**
   * How long the task should take, counted from the start of its first try (retries and
   * reschedules included). When it has not finished by then, the leading scheduler writes one
   * `deadline_missed` event (operator channels and `onDeadlineMissed` callbacks receive it) and the
   * grid marks the task instance; the task keeps running. Clearing the task instance starts the
   * count again. Serialized as `expectedDurationMs`. Default: none.
   */
  expectedDuration?: Duration;
}

/** Writes a partition of a warehouse table idempotently (delete the partition, insert the rows, in one transaction). */
export interface PartitionWriter {
  /**
   * Replaces partition `ctx.partition` (or `options.partition`) of `table` ("schema.table" or "table" in the
   * warehouse schema) with `rows`. Creates nothing: the table must exist. Records a dataset event.
   * @returns the number of rows written.
   */
  overwrite(table: string, rows: readonly Record<string, unknown>[], options: { partitionColumn: string; partition?: string }): Promise<number>;
}

/** How a file read or write is recorded for lineage. */
export interface FileDatasetOptions {
  /** The partition recorded (default `ctx.partition`). */
  partition?: string;
  /**
   * The dataset recorded, verbatim, instead of `file://<absolute path>`: one name for a folder of
   * partitioned files, e.g. `file://incoming/orders` for `incoming/orders/{ds}.json`, so the
   * lineage shows one dataset with a partition per day (match the task's `inputs`/`outputs`).
   */
  dataset?: string;
}

/** Writes files atomically (temp file + rename). */
export interface FileWriter {
  /** Writes `data` to `path` (relative to the working directory or absolute) atomically and records a dataset event. */
  overwrite(path: string, data: string | Uint8Array, options?: FileDatasetOptions & { rowCount?: number }): Promise<void>;
}

/**
 * Which partitions `ctx.partitions.read` reads: one (`partition`, default `ctx.partition`), a list
 * (`partitions`), or a range (`from`/`to`, both inclusive, compared in the column's own type, so a
 * `date` column orders as dates; either bound may be left open).
 */
export type PartitionSelection =
  | { partition?: string; partitions?: never; from?: never; to?: never }
  | { partitions: readonly string[]; partition?: never; from?: never; to?: never }
  | { from?: string; to?: string; partition?: never; partitions?: never };

/** Options of `ctx.partitions.read`. */
export type PartitionReadOptions = { partitionColumn: string } & PartitionSelection;

/** Reads warehouse partitions and records them as this try's inputs (lineage). */
export interface PartitionReader {
  /**
   * Returns the rows of the selected partitions of `table` ("schema.table" or "table" in the
   * warehouse schema), in no particular order, and records one read per partition present in the
   * result (a single requested partition is recorded even when it has no rows). Each read points
   * at the partition's latest write at this moment. Throws on a bad identifier or any SQL error
   * (nothing is recorded then).
   */
  read<R extends Record<string, unknown> = Record<string, unknown>>(table: string, options: PartitionReadOptions): Promise<R[]>;
  /**
   * Records reads of `partitions` of `dataset` for a task that read them with its own SQL:
   * "schema.table", "table" (warehouse schema), or a URI with a scheme ("file://..." paths are
   * made absolute). Returns nothing; an empty list records nothing.
   */
  markRead(dataset: string, partitions: readonly string[]): Promise<void>;
}

/** Reads files and records them as this try's inputs (lineage). */
export interface FileReader {
  /**
   * Reads the file at `path` (relative to the working directory or absolute) and records a read of
   * `file://<absolute path>`, partition `options.partition` (default `ctx.partition`). Answers a
   * Buffer, or a string when `encoding` is given. Throws (recording nothing) when the file cannot be read.
   */
  read(path: string, options?: FileDatasetOptions): Promise<Buffer>;
  read(path: string, options: FileDatasetOptions & { encoding: BufferEncoding }): Promise<string>;
}

/** SQL access to the warehouse Postgres (RUNNEL_WAREHOUSE_URL, default the Runnel database). */
export interface WarehouseClient {
  /** The schema tables without a schema name live in (RUNNEL_WAREHOUSE_SCHEMA, default "warehouse"). */
  readonly schema: string;
  /** Runs one statement with $1-style parameters and returns its rows. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** Read-only views of Runnel's own records, for sensors (`externalTaskSucceeded`, `datasetPartitionWritten`). */
export interface TaskLookup {
  /**
   * State of `dagId.taskId` in the runs of `logicalDate`: "success" when any such run's instance
   * succeeded, else the state in the newest such run; null when there is none.
   */
  taskState(dagId: string, taskId: string, logicalDate: Date): Promise<TaskState | null>;
  /**
   * Whether a writer recorded a dataset event for `dataset` ("schema.table" for partition
   * overwrites, "file://<absolute path>" for `ctx.files.overwrite`) and `partition` (null: any partition).
   */
  datasetPartitionWritten(dataset: string, partition: string | null): Promise<boolean>;
}

/** Per-attempt task log; lines are stored in task_logs and shown in the UI. */
export interface TaskLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** Options of `ctx.validate`. */
export interface ValidateOptions<T> {
  /** A stable key per record, used to match replayed dead letters. */
  key?: (record: T | unknown) => string;
  /** Fails the task (after storing the dead letters) when invalid/total exceeds this ratio. */
  maxInvalidRatio?: number;
}

/** Everything a task receives. `U` is the typed map of upstream outputs, `P` the validated params. */
export interface TaskContext<U = Record<string, never>, P = Record<string, never>> {
  dagId: string;
  taskId: string;
  /** The run's id, e.g. "scheduled__2024-01-01T00:00:00.000Z". */
  runId: string;
  /** Trace id carried by every log line of this run (the run id). */
  traceId: string;
  /** Start of the data interval. */
  logicalDate: Date;
  dataInterval: { start: Date; end: Date };
  /** The logical date as YYYY-MM-DD in the DAG's timezone. */
  ds: string;
  /** The partition this run owns: `ds` for daily or longer schedules, else the local date-time. */
  partition: string;
  params: P;
  upstream: U;
  /** The try number, starting at 1. */
  attempt: number;
  maxTries: number;
  /** Aborted at the task's timeout or when the run is canceled. */
  signal: AbortSignal;
  log: TaskLogger;
  /** Partition overwrites and reads; both are recorded for lineage. */
  partitions: PartitionWriter & PartitionReader;
  /** Atomic file writes and file reads; both are recorded for lineage. */
  files: FileWriter & FileReader;
  warehouse: WarehouseClient;
  /**
   * A named connection: the Postgres at env `RUNNEL_CONN_<NAME>` (name upper-cased). Each query
   * opens and closes its own client (meant for sensors, which query rarely). Throws when unset.
   */
  connection(name: string): WarehouseClient;
  /** Read-only lookups of Runnel's records (task states, dataset events), for sensors. */
  lookup: TaskLookup;
  /** Keeps the valid records; each invalid one becomes a dead letter with its payload and error. */
  validate<T>(records: readonly unknown[], schema: z.ZodType<T>, options?: ValidateOptions<T>): Promise<T[]>;
  /** Sends one record to the dead-letter queue by hand. */
  deadLetter(record: unknown, error: string | Error, options?: { key?: string }): Promise<void>;
}

/** A reference to a task, used in `needs`. `O` is its output type. */
export interface TaskHandle<O = unknown> {
  readonly dagId: string;
  readonly taskId: string;
  /** Phantom: carries the output type, never set at run time. */
  readonly __output?: O;
}

export type Needs = Record<string, TaskHandle<unknown>>;

/** The typed `ctx.upstream` for a `needs` map. */
export type UpstreamOf<N> = { [K in keyof N]: N[K] extends TaskHandle<infer O> ? O : never };

/** Options of `dag.task`. */
export interface TaskOptions<N extends Needs, O extends TaskOutput, P> extends TaskDefaults, CallbackHooks {
  /** Upstream tasks, by the name they get in `ctx.upstream`. */
  needs?: N;
  /** When this task may run given its upstream states. Default "all_success". */
  triggerRule?: TriggerRule;
  /** Datasets read, for lineage (e.g. "warehouse.orders", "file://data/orders"). */
  inputs?: readonly string[];
  /** Datasets written, for lineage. */
  outputs?: readonly string[];
  /** Shown in the UI as text. */
  doc?: string;
  run: (ctx: TaskContext<UpstreamOf<N>, P>) => O | Promise<O>;
}

/** Options of `dag.sensor`. A sensor is a task that pokes until its condition holds. */
export interface SensorOptions<N extends Needs, O extends TaskOutput, P> extends TaskDefaults, CallbackHooks {
  needs?: N;
  triggerRule?: TriggerRule;
  /** Returns false to wait, or true / a JSON value (passed downstream) when the condition holds. */
  poke: (ctx: TaskContext<UpstreamOf<N>, P>) => O | false | Promise<O | false>;
  /** "poke" holds its worker slot between pokes; "reschedule" releases it. Default "reschedule". */
  mode?: "poke" | "reschedule";
  /** Time between pokes. Default "1m". */
  interval?: Duration;
  /** Gives up after this long. Default "1d". */
  timeout?: Duration;
  /** On timeout, end as skipped instead of failed. */
  softFail?: boolean;
  /** Double the interval after each poke (capped by the timeout). */
  exponentialBackoff?: boolean;
  inputs?: readonly string[];
  outputs?: readonly string[];
  doc?: string;
}

/**
 * Data-aware scheduling: the DAG runs once for each partition written to its `datasets`
 * (when there are several, once each of them has that partition). The run's logical date is the
 * partition's date (read in the DAG's timezone), so `ctx.partition` is the partition written upstream.
 */
export interface DatasetSchedule {
  /** Dataset URIs as writers record them: "schema.table" or "file://<absolute path>". */
  datasets: readonly string[];
}

/** A schedule: cron ("0 6 * * *"), a preset ("@daily"), datasets (`{ datasets: [...] }`), or null for manual runs only. */
export type Schedule = string | DatasetSchedule | null;

/**
 * When a run must have finished: `within` after `from`. A run still queued or running then gets
 * one `deadline_missed` event (checked by the leading scheduler every tick, on its own clock, so
 * it fires even when no worker is alive); a run that finishes after it records by how much
 * (`lateMs`). Runs of `dags test` have no deadline; backfill runs only one counted from "queued"
 * (their logical dates are in the past by design, so a date-based deadline would always be missed).
 */
export interface DagDeadline {
  /**
   * - "queued": when the run was created (a manual trigger, a backfill launch, a scheduled run's creation);
   * - "logicalDate": the start of the run's data interval (for `@daily`, midnight of the day it covers);
   * - "intervalEnd": the end of the data interval, i.e. when a scheduled run becomes due
   *   (for `@daily` 2024-01-01, 2024-01-02 00:00; for a run without a cron, its trigger time).
   */
  from: DeadlineFrom;
  /** How long after `from`, e.g. "2h". */
  within: Duration;
}

/** Options of `defineDag`. */
export interface DagOptions<PS extends z.ZodType = z.ZodType<Record<string, never>>> extends CallbackHooks {
  /** Persisted id: letters, digits, `_`, `-`, `.`. */
  id: string;
  schedule?: Schedule;
  /** IANA timezone the schedule is read in. Default "UTC". */
  timezone?: string;
  /** First logical date ("YYYY-MM-DD" or ISO date-time, read in `timezone`). Required when scheduled. */
  startDate?: string;
  /** Last logical date, inclusive. */
  endDate?: string;
  /** Create every missed interval since startDate (true) or only the latest (false). Default false. */
  catchup?: boolean;
  /** Runs of this DAG running at once. Default 16. */
  maxActiveRuns?: number;
  /** Task instances of this DAG queued or running at once, across its runs. Default: no limit. */
  maxActiveTasks?: number;
  /** A zod schema for run params; defaults apply when a param is not given. */
  params?: PS;
  defaults?: TaskDefaults;
  description?: string;
  tags?: readonly string[];
  /** The run must have finished `within` after `from`, else one `deadline_missed` event. Default: none. See {@link DagDeadline}. */
  deadline?: DagDeadline;
}

/** The events a callback can receive. */
export type CallbackEvent = Extract<AlertEvent, "task_failed" | "task_succeeded" | "task_retry" | "run_failed" | "run_succeeded" | "deadline_missed">;

/** What a callback function receives. Dates are the run's; `url` is its dashboard page (RUNNEL_PUBLIC_URL). */
export interface CallbackContext {
  /** task_failed / run_failed (onFailure), task_succeeded / run_succeeded (onSuccess), task_retry (onRetry), deadline_missed (onDeadlineMissed). */
  event: CallbackEvent;
  /** The alert's stable id: the same on a redelivery, so a callback can de-duplicate on it. */
  alertId: string;
  dagId: string;
  runId: string;
  logicalDate: Date;
  dataInterval: { start: Date; end: Date };
  /** Set when the event is about a task. */
  taskId?: string;
  /** The try that failed (task_failed, task_retry) or succeeded. */
  tryNumber?: number;
  /** The error message, for failures. */
  error?: string;
  /** The dashboard page of the run (with the task selected when there is one). */
  url: string;
  occurredAt: Date;
  /** Event-specific facts, e.g. `{ nextTryAt, maxTries }` for task_retry, `{ kind, deadlineAt, lateMs }` for deadline_missed. */
  details: Record<string, unknown>;
}

/**
 * A callback function. It runs in a scheduler process (not the worker), once per event, through
 * the alert outbox: after the state change committed, so it can never change the task's or run's
 * state. A throw or a rejection (or no answer within 30 s) is logged and shown on the Alerts page;
 * the callback is then tried again with backoff, at most 3 times in all.
 */
export type CallbackFunction = (ctx: CallbackContext) => void | Promise<void>;

/** A callback: a function, or a notifier from `runnel/notify` (webhook, slack, email). */
export type AlertCallback = CallbackFunction | Notifier;

/** One callback or a list of them (each delivered and recorded on its own). */
export type Callbacks = AlertCallback | readonly AlertCallback[];

/**
 * Callbacks of a DAG (`defineDag` options) or of one task (`dag.task` / `dag.sensor` options).
 * Task-level: onFailure <- the task ended failed (retries exhausted; not a person's "mark failed"),
 * onSuccess <- it succeeded, onRetry <- a try failed and another is due, onDeadlineMissed <- its
 * `expectedDuration` passed. DAG-level: onFailure <- a run ended failed, onSuccess <- a run
 * succeeded, onRetry <- a try of any of its tasks failed and another is due, onDeadlineMissed <-
 * the run's `deadline` passed. Runs of `dags test` call no callback.
 */
export interface CallbackHooks {
  onFailure?: Callbacks;
  onSuccess?: Callbacks;
  onRetry?: Callbacks;
  onDeadlineMissed?: Callbacks;
}
