/** API contract: dead letters. See ../contract.ts. */
import { z } from "zod";
import { DeadLetterEvent, DeadLetterKind, DeadLetterStatus } from "../../model/states";
import { TaskRefSchema } from "./actions";
import { cursorInput, dateInput, isoString, limitInput } from "./fields";

/** A dead letter's status: open -> replay_pending -> replayed (or back to open), or discarded; task letters also resolved (marked success). */
export const DeadLetterStatusSchema = z.enum(Object.values(DeadLetterStatus));
/** `record` (an invalid record from ctx.validate/ctx.deadLetter) or `task` (a task that exhausted its retries). */
export const DeadLetterKindSchema = z.enum(Object.values(DeadLetterKind));

/** The filter shared by the list (query) and bulk actions (body). */
export const DeadLetterFilterSchema = z.object({
  dagId: z.string().min(1).optional(),
  taskId: z.string().min(1).optional(),
  partition: z.string().min(1).optional(),
  status: DeadLetterStatusSchema.optional(),
  kind: DeadLetterKindSchema.optional(),
  /** Case-insensitive substring of the error text. */
  q: z.string().max(200).optional(),
  /** Only letters created before this date. */
  olderThan: dateInput.optional(),
});
export type DeadLetterFilter = z.infer<typeof DeadLetterFilterSchema>;

/** Query of `GET /api/dead-letters`. */
export const DeadLetterListQuerySchema = DeadLetterFilterSchema.extend({ limit: limitInput(50, 500), cursor: cursorInput.optional() });

/** A dead letter in a list. `payload` is JSON data: render it as text, never as HTML. */
export const DeadLetterSchema = z.object({
  id: z.number().int(),
  kind: DeadLetterKindSchema,
  status: DeadLetterStatusSchema,
  dagId: z.string(),
  taskId: z.string(),
  taskInstanceId: z.number().int().nullable(),
  dagRunId: z.number().int().nullable(),
  tryNumber: z.number().int().nullable(),
  partition: z.string().nullable(),
  recordKey: z.string().nullable(),
  payload: z.unknown(),
  error: z.string(),
  attempts: z.number().int(),
  createdAt: isoString,
  updatedAt: isoString,
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

export const DeadLetterListResponseSchema = z.object({ deadLetters: z.array(DeadLetterSchema), nextCursor: z.string().nullable() });
export type DeadLetterListResponse = z.infer<typeof DeadLetterListResponseSchema>;

/** What happened to a letter (DeadLetterEvent in sdk/states.ts). */
export const DeadLetterEventSchema = z.enum(Object.values(DeadLetterEvent));
/** One history entry: created, edited (details.before), replay_requested, replayed, requeued, discarded (details.reason), resolved. `actor`: a username, or `task` for the engine. */
export const DeadLetterHistoryEntrySchema = z.object({ event: DeadLetterEventSchema, actor: z.string(), details: z.unknown(), at: isoString });
export type DeadLetterHistoryEntry = z.infer<typeof DeadLetterHistoryEntrySchema>;

/**
 * `GET /api/dead-letters/:id`: the letter with its zod issues, history, and `schema`: the JSON
 * Schema (draft 2020-12) the payload must meet, stored by ctx.validate; null when unknown.
 */
export const DeadLetterDetailSchema = DeadLetterSchema.extend({ issues: z.unknown(), schema: z.unknown(), history: z.array(DeadLetterHistoryEntrySchema) });
export type DeadLetterDetail = z.infer<typeof DeadLetterDetailSchema>;

/** `GET /api/dead-letters/counts`: letters per DAG, task, kind and status (default: open only; `status=all` for every status). */
export const DeadLetterCountsQuerySchema = z.object({ status: z.union([DeadLetterStatusSchema, z.literal("all")]).default("open") });
export const DeadLetterCountsResponseSchema = z.object({
  counts: z.array(z.object({ dagId: z.string(), taskId: z.string(), kind: DeadLetterKindSchema, status: DeadLetterStatusSchema, count: z.number().int() })),
  /** The 20 most common error texts (same status filter), most frequent first: filter with `q`. */
  errors: z.array(z.object({ kind: DeadLetterKindSchema, error: z.string(), count: z.number().int() })),
});
export type DeadLetterCountsResponse = z.infer<typeof DeadLetterCountsResponseSchema>;

/** Body of `PATCH /api/dead-letters/:id`: the new payload (only an open record letter can be edited). */
export const DeadLetterEditRequestSchema = z.object({ payload: z.unknown().refine((v) => v !== undefined, { message: "payload is required" }) });

/** Body of replay (records) and retry (tasks): `dryRun` answers the task instances that would be cleared and changes nothing. */
export const DeadLetterReplayRequestSchema = z.object({ dryRun: z.boolean().default(false) });
/** Body of mark-success (task letters): `dryRun` answers the task instance that would be marked. */
export const DeadLetterMarkSuccessRequestSchema = z.object({ dryRun: z.boolean().default(false) });

/** Body of `POST /api/dead-letters/:id/validate`: a candidate payload, checked without saving it. */
export const DeadLetterValidateRequestSchema = z.object({ payload: z.unknown().refine((v) => v !== undefined, { message: "payload is required" }) });
/** One reason a payload breaks the letter's schema; `path` is a JSON Pointer ("" = the whole record). */
export const PayloadIssueSchema = z.object({ path: z.string(), message: z.string() });
/** Answer of validate. `checked`: false when the letter has no stored schema (only JSON syntax could be checked). */
export const DeadLetterValidateResponseSchema = z.object({ valid: z.boolean(), checked: z.boolean(), issues: z.array(PayloadIssueSchema) });
export type DeadLetterValidateResponse = z.infer<typeof DeadLetterValidateResponseSchema>;
export type PayloadIssue = z.infer<typeof PayloadIssueSchema>;
/** Body of discard. */
export const DeadLetterDiscardRequestSchema = z.object({ reason: z.string().min(1).max(1000) });

/** Answer of a replay or discard, one per letter. `cleared`: task instances cleared (or, dry, that would be). */
export const DeadLetterActionResultSchema = z.object({ id: z.number().int(), ok: z.boolean(), message: z.string().nullable(), cleared: z.array(TaskRefSchema) });
export const DeadLetterActionResponseSchema = z.object({ dryRun: z.boolean(), results: z.array(DeadLetterActionResultSchema) });
export type DeadLetterActionResponse = z.infer<typeof DeadLetterActionResponseSchema>;

/**
 * Body of `POST /api/dead-letters/bulk`: every letter matching `filter` (at most 1000), narrowed to
 * `ids` when given (the rows a person ticked). `reason` is required to discard. `replay` retries task letters.
 */
export const DeadLetterBulkRequestSchema = z
  .object({ filter: DeadLetterFilterSchema, ids: z.array(z.number().int().positive()).min(1).max(1000).optional(), action: z.enum(["replay", "discard"]), reason: z.string().min(1).max(1000).optional(), dryRun: z.boolean().default(false) })
  .refine((b) => b.action !== "discard" || b.reason !== undefined, { message: "reason is required to discard", path: ["reason"] });
export type DeadLetterBulkRequest = z.input<typeof DeadLetterBulkRequestSchema>;
