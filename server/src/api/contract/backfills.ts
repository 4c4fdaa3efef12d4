/**
 * API contract: backfills. See ../contract.ts. The mode/order/action lists come from the SDK's
 * state lists, so the planner, the database CHECKs and these schemas share one definition.
 */
import { z } from "zod";
import { BACKFILL_ACTIONS, BACKFILL_ORDERS, BackfillState, REPROCESS_MODES } from "../../model/states";
import { RunStateSchema } from "./common";
import { dateInput, isoString, jsonObject, limitInput } from "./fields";

/** A backfill's state: running (launching runs), paused, completed (every run ended), canceled. */
export const BackfillStateSchema = z.enum(Object.values(BackfillState));
/** missing: only dates with no run; failed: also clear failed tasks of ended runs; all: rerun everything. */
export const ReprocessModeSchema = z.enum(REPROCESS_MODES);

/**
 * Body of `POST /api/dags/:dagId/backfills`. `from`/`to` bound the logical dates (closed range;
 * YYYY-MM-DD is midnight in the DAG's timezone). `maxActiveRuns` caps the backfill's own queued +
 * running runs. `conf` is validated against the DAG's params. `dryRun` answers the plan only.
 */
export const BackfillRequestSchema = z.object({
  from: dateInput,
  to: dateInput,
  reprocess: ReprocessModeSchema.default("missing"),
  maxActiveRuns: z.number().int().min(1).max(1000).default(10),
  order: z.enum(BACKFILL_ORDERS).default("oldest"),
  conf: jsonObject.optional(),
  dryRun: z.boolean().default(false),
});
export type BackfillRequest = z.input<typeof BackfillRequestSchema>;

/** Exactly what a backfill does: logical dates (ISO, launch order) to create, to clear, to leave alone. */
export const BackfillPlanSchema = z.object({ create: z.array(isoString), clear: z.array(isoString), skip: z.array(isoString) });
export type BackfillPlan = z.infer<typeof BackfillPlanSchema>;

/** Counts of a backfill's dates (skipped ones aside) by where they are, and an ETA. */
export const BackfillProgressSchema = z.object({
  /** Dates the backfill creates or clears. */
  total: z.number().int(),
  /** Not launched yet. */
  pending: z.number().int(),
  queued: z.number().int(),
  running: z.number().int(),
  success: z.number().int(),
  failed: z.number().int(),
  canceled: z.number().int(),
  /** Dates left alone (see the plan). */
  skipped: z.number().int(),
  /** Ended runs / total, 0..100. */
  percent: z.number(),
  /** Average ended run duration × runs left / maxActiveRuns; null before any run ended. */
  etaSeconds: z.number().nullable(),
});
export type BackfillProgress = z.infer<typeof BackfillProgressSchema>;

/** One date of a backfill: its action and the state of its run (null = not launched / no run). */
export const BackfillDateSchema = z.object({
  logicalDate: isoString,
  action: z.enum(BACKFILL_ACTIONS),
  dagRunId: z.number().int().nullable(),
  runId: z.string().nullable(),
  state: RunStateSchema.nullable(),
});
export type BackfillDate = z.infer<typeof BackfillDateSchema>;

/** A backfill (as listed: without `dates`). */
export const BackfillSchema = z.object({
  id: z.number().int(),
  dagId: z.string(),
  from: isoString,
  to: isoString,
  reprocess: ReprocessModeSchema,
  maxActiveRuns: z.number().int(),
  order: z.enum(BACKFILL_ORDERS),
  conf: jsonObject,
  state: BackfillStateSchema,
  createdBy: z.string().nullable(),
  createdAt: isoString,
  completedAt: isoString.nullable(),
  progress: BackfillProgressSchema,
});
export type Backfill = z.infer<typeof BackfillSchema>;

/** Body of `GET /api/backfills/:id`: the backfill with every date. */
export const BackfillDetailSchema = BackfillSchema.extend({ dates: z.array(BackfillDateSchema) });
export type BackfillDetail = z.infer<typeof BackfillDetailSchema>;

/** A span of logical dates (ISO). */
export const BackfillSpanSchema = z.object({ from: isoString, to: isoString });
export type BackfillSpan = z.infer<typeof BackfillSpanSchema>;

/**
 * The requested range and what of it is backfilled: a range partly outside the DAG's
 * `startDate`/`endDate` is clipped to them (as Airflow does), and the parts left out are named.
 */
export const BackfillRangeSchema = z.object({
  /** `from`/`to` as asked (read in the DAG's timezone). */
  requested: BackfillSpanSchema,
  /** The part backfilled: `requested` within [startDate, endDate] (closed). */
  backfilled: BackfillSpanSchema,
  /** The requested dates before the DAG's startDate (`to` is the startDate, not included); null when none. */
  beforeStartDate: BackfillSpanSchema.nullable(),
  /** The requested dates after the DAG's endDate (`from` is the endDate, not included); null when none. */
  afterEndDate: BackfillSpanSchema.nullable(),
});
export type BackfillRange = z.infer<typeof BackfillRangeSchema>;

/** Answer of `POST /api/dags/:dagId/backfills`: the plan and the range it covers; `backfill` is null for a dry run. */
export const BackfillCreateResponseSchema = z.object({ dryRun: z.boolean(), plan: BackfillPlanSchema, range: BackfillRangeSchema, backfill: BackfillSchema.nullable() });
export type BackfillCreateResponse = z.infer<typeof BackfillCreateResponseSchema>;

/** Query of `GET /api/backfills`, newest first. */
export const BackfillListQuerySchema = z.object({ dagId: z.string().min(1).optional(), limit: limitInput(50, 500) });
export type BackfillListQuery = z.input<typeof BackfillListQuerySchema>;

/** Body of `GET /api/backfills`. */
export const BackfillListResponseSchema = z.object({ backfills: z.array(BackfillSchema) });
export type BackfillListResponse = z.infer<typeof BackfillListResponseSchema>;
