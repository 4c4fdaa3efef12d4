/** API contract: runs and task instances. See ../contract.ts. */
import { z } from "zod";
import { isoString, dateInput, cursorInput, limitInput, jsonObject } from "./fields";
import { RunStateSchema, TaskStateSchema, RunTypeSchema, AttemptStateSchema, TriggerRuleSchema } from "./common";

/**
 * A run's or task instance's deadline (the DAG's `deadline`; a task's `expectedDuration` from its
 * first try's start). `deadlineMissedAt`: when the leading scheduler found it unfinished past its
 * deadline (and sent the deadline_missed alert). `lateMs`: how long after its deadline it ended;
 * null while it runs and when it ended in time. Unfinished and past its deadline: late by now − deadlineAt.
 */
const deadlineFields = {
  deadlineAt: isoString.nullable(),
  deadlineMissedAt: isoString.nullable(),
  lateMs: z.number().int().nullable(),
};

/** A run as listed. */
export const RunSummarySchema = z.object({
  dagRunId: z.number().int(),
  dagId: z.string(),
  runId: z.string(),
  runType: RunTypeSchema,
  state: RunStateSchema,
  logicalDate: isoString,
  dataIntervalStart: isoString,
  dataIntervalEnd: isoString,
  versionId: z.number().int(),
  createdAt: isoString,
  startDate: isoString.nullable(),
  endDate: isoString.nullable(),
  ...deadlineFields,
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** Query of `GET /api/runs`, newest logical date first. `from`/`to` bound the logical date (inclusive). */
export const RunListQuerySchema = z.object({
  dagId: z.string().min(1).optional(),
  state: RunStateSchema.optional(),
  runType: RunTypeSchema.optional(),
  from: dateInput.optional(),
  to: dateInput.optional(),
  limit: limitInput(50, 500),
  cursor: cursorInput.optional(),
});
export type RunListQuery = z.input<typeof RunListQuerySchema>;

/** Body of `GET /api/runs`. */
export const RunListResponseSchema = z.object({ runs: z.array(RunSummarySchema), nextCursor: z.string().nullable() });
export type RunListResponse = z.infer<typeof RunListResponseSchema>;

/** A task instance as listed in a run. */
export const TaskInstanceSummarySchema = z.object({
  id: z.number().int(),
  dagRunId: z.number().int(),
  dagId: z.string(),
  taskId: z.string(),
  state: TaskStateSchema,
  /** The current (or last) try; 0 = never queued. */
  tryNumber: z.number().int(),
  maxTries: z.number().int(),
  triggerRule: TriggerRuleSchema,
  upstream: z.array(z.string()),
  worker: z.string().nullable(),
  queuedAt: isoString.nullable(),
  startDate: isoString.nullable(),
  endDate: isoString.nullable(),
  /**
   * When the next try is due: an up_for_retry task's next retry, or an up_for_reschedule
   * sensor's next poke ("next poke at"). null when nothing is scheduled.
   */
  nextTryAt: isoString.nullable(),
  /**
   * A reschedule-mode sensor's first poke in the current try ("waiting since"; its timeout counts
   * from it), set once a poke has found the condition unmet; null for other tasks and for a
   * sensor whose first poke succeeded. Reset when a new try starts.
   */
  sensorStartedAt: isoString.nullable(),
  /**
   * Pokes of the current try that found the condition unmet (each one rescheduled the sensor);
   * the poke that succeeds is not counted. 0 for other tasks.
   */
  sensorPokes: z.number().int(),
  /** The task's `expectedDuration` in milliseconds (its deadline is the first try's start plus this); null when it has none. */
  expectedDurationMs: z.number().int().nullable(),
  ...deadlineFields,
});
export type TaskInstanceSummary = z.infer<typeof TaskInstanceSummarySchema>;

/** Body of `GET /api/runs/:dagRunId`. `conf` is the params the run was triggered with. */
export const RunDetailSchema = RunSummarySchema.extend({ conf: jsonObject, taskInstances: z.array(TaskInstanceSummarySchema) });
export type RunDetail = z.infer<typeof RunDetailSchema>;

/** One try of a task instance. `error` is text: never render as HTML. */
export const AttemptSchema = z.object({
  tryNumber: z.number().int(),
  state: AttemptStateSchema,
  worker: z.string().nullable(),
  queuedAt: isoString.nullable(),
  startDate: isoString,
  endDate: isoString.nullable(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  /**
   * The try was canceled (run canceled, task marked or cleared) but its in-process body is still
   * running: it ignores its abort signal and cannot be killed. False otherwise.
   */
  stillRunningAfterCancel: z.boolean(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

/** Body of `GET /api/task-instances/:id`: `output` is the task's JSON return value (null until success). */
export const TaskInstanceDetailSchema = TaskInstanceSummarySchema.extend({
  runId: z.string(),
  logicalDate: isoString,
  output: z.unknown(),
  attempts: z.array(AttemptSchema),
});
export type TaskInstanceDetail = z.infer<typeof TaskInstanceDetailSchema>;

/** Query of `GET /api/task-instances/:id/logs`: lines with id > afterId, oldest first; one try or all. */
export const LogQuerySchema = z.object({
  try: z.coerce.number().int().min(1).optional(),
  afterId: z.coerce.number().int().min(0).optional(),
  limit: limitInput(1000, 10_000),
});
export type LogQuery = z.input<typeof LogQuerySchema>;

/** One captured log line. `message` is text: never render as HTML. */
export const LogLineSchema = z.object({ id: z.number().int(), tryNumber: z.number().int(), ts: isoString, level: z.string(), message: z.string() });
export type LogLine = z.infer<typeof LogLineSchema>;

/** Body of `GET /api/task-instances/:id/logs`. Pass `lastId` as `afterId` for the next page. */
export const LogPageSchema = z.object({ lines: z.array(LogLineSchema), lastId: z.number().int().nullable(), hasMore: z.boolean() });
export type LogPage = z.infer<typeof LogPageSchema>;

/** Query of `GET /api/task-instances/:id/logs/stream` (SSE). */
export const LogStreamQuerySchema = z.object({ try: z.coerce.number().int().min(1).optional(), afterId: z.coerce.number().int().min(0).optional() });
export type LogStreamQuery = z.input<typeof LogStreamQuerySchema>;
