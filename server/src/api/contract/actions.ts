/** API contract: actions. See ../contract.ts. */
import { z } from "zod";
import { dateInput, isoString, jsonObject } from "./fields";
import { RunStateSchema, TaskStateSchema } from "./common";

/** Body of `POST /api/dags/:dagId/trigger`. `conf` is validated against the DAG's params schema. */
export const TriggerRequestSchema = z.object({
  conf: jsonObject.optional(),
  /**
   * Default: the run covers the DAG's last complete interval and its logical date is that
   * interval's start (no cron: now). YYYY-MM-DD is midnight in the DAG's timezone.
   */
  logicalDate: dateInput.optional(),
});
export type TriggerRequest = z.infer<typeof TriggerRequestSchema>;

/**
 * What a manual run covers. `inferred`: no logical date was given, so it is the last complete
 * interval (Airflow's `infer_manual_data_interval`); `[now, now]` for a DAG without a cron.
 */
export const ManualRunDatesSchema = z.object({
  logicalDate: isoString,
  dataIntervalStart: isoString,
  dataIntervalEnd: isoString,
  inferred: z.boolean(),
});
export type ManualRunDates = z.infer<typeof ManualRunDatesSchema>;

/** Answer of a trigger: the run and the interval it covers. */
export const TriggerResponseSchema = z.object({ dagId: z.string(), runId: z.string(), dagRunId: z.number().int() }).extend(ManualRunDatesSchema.shape);
export type TriggerResponse = z.infer<typeof TriggerResponseSchema>;

/** Query of `GET /api/dags/:dagId/trigger-interval`: the logical date the dialog would send, if any. */
export const TriggerIntervalQuerySchema = z.object({ logicalDate: dateInput.optional() });
export type TriggerIntervalQuery = z.input<typeof TriggerIntervalQuerySchema>;

/** Answer of `GET /api/dags/:dagId/trigger-interval`: what a trigger now would cover (nothing is created). */
export const TriggerIntervalResponseSchema = z.object({ dagId: z.string() }).extend(ManualRunDatesSchema.shape);
export type TriggerIntervalResponse = z.infer<typeof TriggerIntervalResponseSchema>;

/** Answer of pause/unpause. */
export const PauseResponseSchema = z.object({ dagId: z.string(), isPaused: z.boolean() });
export type PauseResponse = z.infer<typeof PauseResponseSchema>;

/** A task instance an action touched (or would touch); `state` is its state before the action. */
export const TaskRefSchema = z.object({ id: z.number().int(), taskId: z.string(), state: TaskStateSchema, tryNumber: z.number().int() });
export type TaskRef = z.infer<typeof TaskRefSchema>;

/**
 * Body of `POST /api/runs/:dagRunId/clear`. `taskIds` (default: every task of the run) are the
 * tasks to clear; `downstream` adds everything downstream of them; `failedOnly` keeps only
 * failed/upstream_failed ones; `dryRun` answers the exact list without changing anything.
 */
export const ClearRequestSchema = z.object({
  taskIds: z.array(z.string().min(1)).min(1).optional(),
  downstream: z.boolean().default(false),
  failedOnly: z.boolean().default(false),
  dryRun: z.boolean().default(false),
});
export type ClearRequest = z.input<typeof ClearRequestSchema>;

/** Answer of a clear: `cleared` went (or would go) back to pending; `skipped` are still queued/running. */
export const ClearResponseSchema = z.object({ dryRun: z.boolean(), cleared: z.array(TaskRefSchema), skipped: z.array(TaskRefSchema) });
export type ClearResponse = z.infer<typeof ClearResponseSchema>;

/** Body of `POST /api/task-instances/:id/mark`. */
export const MarkRequestSchema = z.object({ state: z.enum(["success", "failed"]), dryRun: z.boolean().default(false) });
export type MarkRequest = z.input<typeof MarkRequestSchema>;

/** Answer of a mark: the task instance changed (empty when it is queued/running or already in that state). */
export const MarkResponseSchema = z.object({ dryRun: z.boolean(), marked: z.array(TaskRefSchema) });
export type MarkResponse = z.infer<typeof MarkResponseSchema>;

/** Answer of `POST /api/runs/:dagRunId/cancel`: the unfinished task instances removed. */
export const CancelResponseSchema = z.object({ dagRunId: z.number().int(), state: RunStateSchema, removed: z.array(TaskRefSchema) });
export type CancelResponse = z.infer<typeof CancelResponseSchema>;
