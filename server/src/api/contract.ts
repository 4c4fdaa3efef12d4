/**
 * The HTTP API contract: zod schemas of every request and response, shared by the server (which
 * validates with them and generates /api/openapi.json from them) and the dashboard (which imports
 * the inferred types). This file may import only zod and the SDK's state lists: web/ bundles it.
 *
 * Conventions: every date is an ISO 8601 string (UTC); ids of database rows (`dagRunId`, task
 * instance `id`) are numbers; `runId` is the human run id (`manual__2024-01-01T00:00:00+00:00`).
 * Paginated lists answer `nextCursor`: pass it back as `cursor` for the next page; null = last page.
 */
import { z } from "zod";
import { ATTEMPT_STATES, RUN_STATES, RUN_TYPES, TASK_STATES, TRIGGER_RULES, UserRole } from "../sdk/states";

// ---------------------------------------------------------------- shared pieces

/** A run state (see sdk/states.ts). */
export const RunStateSchema = z.enum(RUN_STATES);
/** A task instance state (see sdk/states.ts). */
export const TaskStateSchema = z.enum(TASK_STATES);
/** Why a run exists. */
export const RunTypeSchema = z.enum(RUN_TYPES);
/** The state of one try. */
export const AttemptStateSchema = z.enum(ATTEMPT_STATES);
/** A trigger rule. */
export const TriggerRuleSchema = z.enum(TRIGGER_RULES);
/** A user's role: viewer < operator < admin. */
export const UserRoleSchema = z.enum(Object.values(UserRole));

const isoString = z.string().describe("ISO 8601 date-time");
/** A date in a query or body: YYYY-MM-DD or an ISO 8601 date-time. */
const dateInput = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s.trim()) && !Number.isNaN(Date.parse(s)), { message: "must be YYYY-MM-DD or an ISO date-time" })
  .describe("YYYY-MM-DD or ISO 8601 date-time");
const cursorInput = z.string().min(1).max(500).describe("opaque: the nextCursor of the previous page");
const limitInput = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
const jsonObject = z.record(z.string(), z.unknown());

/** Body of every 4xx/5xx answer. */
export const ApiErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

// ---------------------------------------------------------------- DAGs

/** One of the latest runs of a DAG, newest first. */
export const RecentRunSchema = z.object({
  runId: z.string(),
  state: RunStateSchema,
  /** ISO 8601: the start of the run's data interval. */
  logicalDate: isoString,
});
export type RecentRun = z.infer<typeof RecentRunSchema>;

/** A DAG as listed by `GET /api/dags`. */
export const DagSummarySchema = z.object({
  dagId: z.string(),
  /** Cron expression or preset (`@daily`); null = manual only. */
  schedule: z.string().nullable(),
  /** The schedule in words, e.g. "every day at 00:00". */
  scheduleDescription: z.string(),
  isPaused: z.boolean(),
  /** When the next scheduled run is due; null for manual-only or past its end date. */
  nextRunAt: isoString.nullable(),
  recentRuns: z.array(RecentRunSchema),
  tags: z.array(z.string()),
});
export type DagSummary = z.infer<typeof DagSummarySchema>;

/** A DAG file that failed to load. */
export const ImportErrorSchema = z.object({
  /** Path of the file, relative to the DAG folder. */
  fileloc: z.string(),
  message: z.string(),
  createdAt: isoString,
});
export type ImportError = z.infer<typeof ImportErrorSchema>;

/** Body of `GET /api/dags`. */
export const DagListResponseSchema = z.object({ dags: z.array(DagSummarySchema), importErrors: z.array(ImportErrorSchema) });
export type DagListResponse = z.infer<typeof DagListResponseSchema>;

/** Body of `GET /api/import-errors`. */
export const ImportErrorListResponseSchema = z.object({ importErrors: z.array(ImportErrorSchema) });
export type ImportErrorListResponse = z.infer<typeof ImportErrorListResponseSchema>;

/** A task in a DAG's graph. */
export const GraphNodeSchema = z.object({
  taskId: z.string(),
  kind: z.enum(["task", "sensor"]),
  triggerRule: TriggerRuleSchema,
  retries: z.number().int(),
  /** Direct upstream task ids. */
  upstream: z.array(z.string()),
  doc: z.string().nullable(),
  /** Dataset URIs read and written. */
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
});
export type GraphNode = z.infer<typeof GraphNodeSchema>;

/** An edge `from` (upstream) -> `to` (downstream). */
export const GraphEdgeSchema = z.object({ from: z.string(), to: z.string() });
export type GraphEdge = z.infer<typeof GraphEdgeSchema>;

/** One stored version of a DAG (a distinct graph). */
export const DagVersionSchema = z.object({ versionId: z.number().int(), versionHash: z.string(), fileloc: z.string(), createdAt: isoString });
export type DagVersion = z.infer<typeof DagVersionSchema>;

/** Query of `GET /api/dags/:dagId`: which version's graph and source (default: the latest). */
export const DagDetailQuerySchema = z.object({ versionId: z.coerce.number().int().positive().optional() });
export type DagDetailQuery = z.infer<typeof DagDetailQuerySchema>;

/** Body of `GET /api/dags/:dagId`. */
export const DagDetailSchema = DagSummarySchema.extend({
  fileloc: z.string(),
  description: z.string().nullable(),
  timezone: z.string(),
  /** False once no DAG file defines this id any more. */
  isActive: z.boolean(),
  maxActiveRuns: z.number().int(),
  /** The version shown (graph, params schema, source). */
  versionId: z.number().int(),
  graph: z.object({ nodes: z.array(GraphNodeSchema), edges: z.array(GraphEdgeSchema) }),
  /** JSON Schema of the trigger params, or null when the DAG takes none. */
  paramsSchema: jsonObject.nullable(),
  /** TypeScript source of the DAG file at that version. Text: never render as HTML. */
  source: z.string(),
  /** Every version, newest first. */
  versions: z.array(DagVersionSchema),
});
export type DagDetail = z.infer<typeof DagDetailSchema>;

// ---------------------------------------------------------------- runs and task instances

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
  /** When an up_for_retry task's next try is due. */
  nextTryAt: isoString.nullable(),
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

// ---------------------------------------------------------------- grid

/** Query of `GET /api/dags/:dagId/grid`: newest runs first. */
export const GridQuerySchema = z.object({ limit: limitInput(25, 200), cursor: cursorInput.optional() });
export type GridQuery = z.input<typeof GridQuerySchema>;

/** One cell: a task instance of a run. */
export const GridCellSchema = z.object({ state: TaskStateSchema, tryNumber: z.number().int(), tiId: z.number().int() });
export type GridCell = z.infer<typeof GridCellSchema>;

/** One column of the grid (a run); `cells` by task id (a task missing from a run has no cell). */
export const GridRunSchema = z.object({
  runId: z.string(),
  dagRunId: z.number().int(),
  state: RunStateSchema,
  runType: RunTypeSchema,
  logicalDate: isoString,
  cells: z.record(z.string(), GridCellSchema),
});
export type GridRun = z.infer<typeof GridRunSchema>;

/** Body of `GET /api/dags/:dagId/grid`: tasks of the latest version (topological order). */
export const GridResponseSchema = z.object({
  tasks: z.array(z.object({ taskId: z.string(), upstream: z.array(z.string()) })),
  runs: z.array(GridRunSchema),
  nextCursor: z.string().nullable(),
});
export type GridResponse = z.infer<typeof GridResponseSchema>;

// ---------------------------------------------------------------- actions

/** Body of `POST /api/dags/:dagId/trigger`. `conf` is validated against the DAG's params schema. */
export const TriggerRequestSchema = z.object({
  conf: jsonObject.optional(),
  /** Default: now. YYYY-MM-DD is midnight in the DAG's timezone. */
  logicalDate: dateInput.optional(),
});
export type TriggerRequest = z.infer<typeof TriggerRequestSchema>;

/** Answer of a trigger. */
export const TriggerResponseSchema = z.object({ dagId: z.string(), runId: z.string(), dagRunId: z.number().int() });
export type TriggerResponse = z.infer<typeof TriggerResponseSchema>;

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

// ---------------------------------------------------------------- auth and audit

/** Body of `POST /api/auth/login`. */
export const LoginRequestSchema = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) });
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

/** The signed-in user (`GET /api/auth/me`, and the answer of a login). */
export const CurrentUserSchema = z.object({ username: z.string(), role: UserRoleSchema });
export type CurrentUser = z.infer<typeof CurrentUserSchema>;

/** One audit log entry. `details` is JSON given by the action (e.g. the clear options). */
export const AuditEntrySchema = z.object({ id: z.number().int(), actor: z.string(), action: z.string(), target: z.string().nullable(), details: z.unknown(), createdAt: isoString });
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Query of `GET /api/audit`, newest first. */
export const AuditQuerySchema = z.object({ limit: limitInput(100, 1000), cursor: cursorInput.optional() });
export type AuditQuery = z.input<typeof AuditQuerySchema>;

/** Body of `GET /api/audit`. */
export const AuditListResponseSchema = z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() });
export type AuditListResponse = z.infer<typeof AuditListResponseSchema>;

// ---------------------------------------------------------------- live updates (SSE)

/** SSE `event: run` on `GET /api/events`: a run changed state. */
export const RunEventSchema = z.object({ dagRunId: z.number().int(), dagId: z.string(), runId: z.string(), state: RunStateSchema });
export type RunEvent = z.infer<typeof RunEventSchema>;

/** SSE `event: task` on `GET /api/events`: a task instance changed (state or try). */
export const TaskEventSchema = z.object({ id: z.number().int(), dagRunId: z.number().int(), dagId: z.string(), taskId: z.string(), state: TaskStateSchema, tryNumber: z.number().int() });
export type TaskEvent = z.infer<typeof TaskEventSchema>;

/** Query of `GET /api/events`: only changes of this DAG / run (default: all). */
export const EventsQuerySchema = z.object({ dagId: z.string().min(1).optional(), dagRunId: z.coerce.number().int().positive().optional() });
export type EventsQuery = z.input<typeof EventsQuerySchema>;

/** SSE event names: `run` and `task` on /api/events, `log` (a LogLine) on the log stream. */
export const SSE_EVENTS = { run: "run", task: "task", log: "log" } as const;

// ---------------------------------------------------------------- users and API tokens (admin)

/** A username: letters, digits and `_ . @ -`. */
const usernameInput = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.@-]+$/, "letters, digits and _ . @ - only");
/** A password set through the API: at least 8 characters. */
const passwordInput = z.string().min(8).max(1000);

/** A user as `GET /api/users` lists it (never the password hash). */
export const UserSchema = z.object({ username: z.string(), role: UserRoleSchema, createdAt: isoString });
export type User = z.infer<typeof UserSchema>;

/** Body of `GET /api/users`, by username. */
export const UserListResponseSchema = z.object({ users: z.array(UserSchema) });
export type UserListResponse = z.infer<typeof UserListResponseSchema>;

/** Body of `POST /api/users`: without `password`, one is generated and answered once. */
export const CreateUserRequestSchema = z.object({ username: usernameInput, role: UserRoleSchema, password: passwordInput.optional() });
export type CreateUserRequest = z.input<typeof CreateUserRequestSchema>;

/** Answer of `POST /api/users`: `generatedPassword` is shown this once (null when one was given). */
export const CreateUserResponseSchema = z.object({ user: UserSchema, generatedPassword: z.string().nullable() });
export type CreateUserResponse = z.infer<typeof CreateUserResponseSchema>;

/** Body of `PATCH /api/users/:username`: a password change ends the user's other sessions. */
export const UpdateUserRequestSchema = z
  .object({ role: UserRoleSchema.optional(), password: passwordInput.optional() })
  .refine((b) => b.role !== undefined || b.password !== undefined, { message: "give role and/or password" });
export type UpdateUserRequest = z.input<typeof UpdateUserRequestSchema>;

/** An API token as listed: never its secret. `revokedAt` non-null = no longer accepted. */
export const ApiTokenSchema = z.object({ id: z.number().int(), name: z.string(), username: z.string(), createdAt: isoString, lastUsedAt: isoString.nullable(), revokedAt: isoString.nullable() });
export type ApiToken = z.infer<typeof ApiTokenSchema>;

/** Body of `GET /api/tokens`: your tokens (an admin sees everyone's), newest first. */
export const TokenListResponseSchema = z.object({ tokens: z.array(ApiTokenSchema) });
export type TokenListResponse = z.infer<typeof TokenListResponseSchema>;

/** Body of `POST /api/tokens`: a token for yourself. */
export const CreateTokenRequestSchema = z.object({ name: z.string().trim().min(1).max(200) });
export type CreateTokenRequest = z.input<typeof CreateTokenRequestSchema>;

/** Answer of `POST /api/tokens`: `secret` (send as `Authorization: Bearer <secret>`) is shown this once. */
export const CreateTokenResponseSchema = z.object({ token: ApiTokenSchema, secret: z.string() });
export type CreateTokenResponse = z.infer<typeof CreateTokenResponseSchema>;
