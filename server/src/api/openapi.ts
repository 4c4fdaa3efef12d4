import { z } from "zod";
import * as c from "./contract";

type Method = "get" | "post" | "patch" | "delete";

/** One endpoint of the API, described from the contract's schemas. */
interface Endpoint {
  method: Method;
  path: string;
  summary: string;
  /** Minimum role; "public" needs no auth. */
  role: "public" | "viewer" | "operator" | "admin";
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Response body; "sse" for event streams, null for 204. */
  response: z.ZodType | "sse" | null;
}

const E = (method: Method, path: string, role: Endpoint["role"], summary: string, response: Endpoint["response"], extra: Pick<Endpoint, "query" | "body"> = {}): Endpoint => ({ method, path, role, summary, response, ...extra });

/** Every endpoint under /api (the README's table lists the same). */
export const ENDPOINTS: readonly Endpoint[] = [
  E("post", "/api/auth/login", "public", "Log in; sets the session cookie", c.CurrentUserSchema, { body: c.LoginRequestSchema }),
  E("post", "/api/auth/logout", "viewer", "End the session", null),
  E("get", "/api/auth/me", "viewer", "The signed-in user", c.CurrentUserSchema),
  E("get", "/api/dags", "viewer", "DAGs with recent runs, and import errors", c.DagListResponseSchema),
  E("get", "/api/import-errors", "viewer", "DAG files that failed to load", c.ImportErrorListResponseSchema),
  E("get", "/api/dags/{dagId}", "viewer", "A DAG: graph, params schema, source, versions", c.DagDetailSchema, { query: c.DagDetailQuerySchema }),
  E("get", "/api/dags/{dagId}/grid", "viewer", "Runs x tasks, newest run first", c.GridResponseSchema, { query: c.GridQuerySchema }),
  E("get", "/api/dags/{dagId}/trigger-interval", "viewer", "The logical date and data interval a manual run triggered now would cover (without logicalDate: the last complete interval)", c.TriggerIntervalResponseSchema, { query: c.TriggerIntervalQuerySchema }),
  E("post", "/api/dags/{dagId}/trigger", "operator", "Create a manual run (params validated); answers the interval it covers", c.TriggerResponseSchema, { body: c.TriggerRequestSchema }),
  E("post", "/api/dags/{dagId}/pause", "operator", "Stop creating scheduled runs", c.PauseResponseSchema),
  E("post", "/api/dags/{dagId}/unpause", "operator", "Resume creating scheduled runs", c.PauseResponseSchema),
  E("get", "/api/runs", "viewer", "Runs, filtered, newest logical date first", c.RunListResponseSchema, { query: c.RunListQuerySchema }),
  E("get", "/api/runs/{dagRunId}", "viewer", "A run with its task instances", c.RunDetailSchema),
  E("post", "/api/runs/{dagRunId}/clear", "operator", "Clear task instances (dry run lists them)", c.ClearResponseSchema, { body: c.ClearRequestSchema }),
  E("post", "/api/runs/{dagRunId}/cancel", "operator", "Cancel a queued or running run", c.CancelResponseSchema),
  E("post", "/api/dags/{dagId}/backfills", "operator", "Backfill a date range (dryRun answers the plan only)", c.BackfillCreateResponseSchema, { body: c.BackfillRequestSchema }),
  E("get", "/api/backfills", "viewer", "Backfills with progress, newest first", c.BackfillListResponseSchema, { query: c.BackfillListQuerySchema }),
  E("get", "/api/backfills/{id}", "viewer", "A backfill with progress and per-date states", c.BackfillDetailSchema),
  E("post", "/api/backfills/{id}/cancel", "operator", "Stop launching runs and cancel the backfill's active runs", c.BackfillDetailSchema),
  E("post", "/api/backfills/{id}/pause", "operator", "Stop launching runs (active ones finish)", c.BackfillDetailSchema),
  E("post", "/api/backfills/{id}/resume", "operator", "Continue launching runs", c.BackfillDetailSchema),
  E("get", "/api/dead-letters", "viewer", "Dead letters, filtered, newest first", c.DeadLetterListResponseSchema, { query: c.DeadLetterListQuerySchema }),
  E("get", "/api/dead-letters/counts", "viewer", "Dead letters per DAG, task, kind and status", c.DeadLetterCountsResponseSchema, { query: c.DeadLetterCountsQuerySchema }),
  E("get", "/api/dead-letters/{id}", "viewer", "A dead letter with payload, issues and history", c.DeadLetterDetailSchema),
  E("patch", "/api/dead-letters/{id}", "operator", "Edit an open record letter's payload", c.DeadLetterDetailSchema, { body: c.DeadLetterEditRequestSchema }),
  E("post", "/api/dead-letters/{id}/replay", "operator", "Mark for replay and clear its task with downstream (dryRun lists them)", c.DeadLetterActionResponseSchema, { body: c.DeadLetterReplayRequestSchema }),
  E("post", "/api/dead-letters/{id}/discard", "operator", "Discard with a reason", c.DeadLetterActionResponseSchema, { body: c.DeadLetterDiscardRequestSchema }),
  E("post", "/api/dead-letters/{id}/retry", "operator", "Task letters: retry the failed task (clear it with downstream; dryRun lists them)", c.DeadLetterActionResponseSchema, { body: c.DeadLetterReplayRequestSchema }),
  E("post", "/api/dead-letters/{id}/mark-success", "operator", "Task letters: mark the failed task instance success (the letter becomes resolved)", c.DeadLetterActionResponseSchema, { body: c.DeadLetterMarkSuccessRequestSchema }),
  E("post", "/api/dead-letters/{id}/validate", "viewer", "Check a candidate payload against the letter's stored JSON Schema (saves nothing)", c.DeadLetterValidateResponseSchema, { body: c.DeadLetterValidateRequestSchema }),
  E("get", "/api/runs/{dagRunId}/checks", "viewer", "Data-quality check results of a run", c.RunChecksResponseSchema),
  E("post", "/api/dead-letters/bulk", "operator", "Replay or discard every letter matching a filter (dryRun previews)", c.DeadLetterActionResponseSchema, { body: c.DeadLetterBulkRequestSchema }),
  E("get", "/api/lineage/graph", "viewer", "Datasets and the tasks that write and read them, across DAGs (declared and observed)", c.LineageGraphResponseSchema, { query: c.LineageGraphQuerySchema }),
  E("get", "/api/lineage/datasets", "viewer", "Every dataset declared, written or read, with producers and consumers", c.DatasetListResponseSchema),
  E("get", "/api/lineage/dataset", "viewer", "A dataset: partitions (latest write, newest first) and check results", c.DatasetDetailResponseSchema, { query: c.DatasetQuerySchema }),
  E("get", "/api/lineage/partition", "viewer", "A partition: writes, upstream graph and downstream impact", c.PartitionDetailResponseSchema, { query: c.PartitionQuerySchema }),
  E("post", "/api/lineage/reprocess", "operator", "Clear the downstream impact of a partition in waves (dryRun lists it)", c.ReprocessResponseSchema, { body: c.ReprocessRequestSchema }),
  E("get", "/api/lineage/reprocesses/{id}", "viewer", "A reprocess: its runs by wave, which were released, and their states", c.ReprocessDetailResponseSchema),
  E("get", "/api/alerts", "viewer", "Alert events newest first, each with its delivery per channel (filter by DAG, event, delivery state)", c.AlertListResponseSchema, { query: c.AlertListQuerySchema }),
  E("get", "/api/alerts/channels", "viewer", "The configured operator channels (webhook, slack, email), described without secrets", c.AlertChannelsResponseSchema),
  E("get", "/api/alerts/{id}", "viewer", "An alert event with its deliveries", c.AlertSchema),
  E("post", "/api/alerts/test", "operator", "Send a test alert to one configured channel (201: the test event with its pending delivery; 400 when the channel is not configured)", c.AlertSchema, { body: c.TestAlertRequestSchema }),
  E("post", "/api/alerts/deliveries/{id}/resend", "operator", "Deliver again: the delivery goes back to pending, due now (attempts kept); answers its event", c.AlertSchema),
  E("get", "/api/task-instances/{id}", "viewer", "A task instance with attempts and output", c.TaskInstanceDetailSchema),
  E("get", "/api/task-instances/{id}/logs", "viewer", "A page of log lines", c.LogPageSchema, { query: c.LogQuerySchema }),
  E("get", "/api/task-instances/{id}/logs/stream", "viewer", "New log lines as SSE (`event: log`)", "sse", { query: c.LogStreamQuerySchema }),
  E("post", "/api/task-instances/{id}/mark", "operator", "Mark success or failed", c.MarkResponseSchema, { body: c.MarkRequestSchema }),
  E("get", "/api/events", "viewer", "Run and task state changes as SSE (`event: run`, `event: task`)", "sse", { query: c.EventsQuerySchema }),
  E("get", "/api/audit", "admin", "The audit log, newest first", c.AuditListResponseSchema, { query: c.AuditQuerySchema }),
  E("get", "/api/users", "admin", "Every user", c.UserListResponseSchema),
  E("post", "/api/users", "admin", "Create a user (a generated password is answered once)", c.CreateUserResponseSchema, { body: c.CreateUserRequestSchema }),
  E("patch", "/api/users/{username}", "admin", "Change a user's role and/or password", c.UserSchema, { body: c.UpdateUserRequestSchema }),
  E("delete", "/api/users/{username}", "admin", "Delete a user (not yourself); ends their sessions and tokens", null),
  E("get", "/api/tokens", "viewer", "Your API tokens (admins: everyone's); never the secret", c.TokenListResponseSchema),
  E("post", "/api/tokens", "viewer", "Create an API token for yourself (the secret is answered once)", c.CreateTokenResponseSchema, { body: c.CreateTokenRequestSchema }),
  E("delete", "/api/tokens/{id}", "viewer", "Revoke a token (your own; admins: any)", c.ApiTokenSchema),
];

const json = (schema: z.ZodType, io: "input" | "output") => z.toJSONSchema(schema, { io, unrepresentable: "any" });
const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: json(c.ApiErrorBodySchema, "output") } } });

function queryParameters(query: z.ZodObject | undefined): unknown[] {
  if (!query) return [];
  return Object.entries(query.shape).map(([name, schema]) => ({ name, in: "query", required: !(schema as z.ZodType).safeParse(undefined).success, schema: json(schema as z.ZodType, "input") }));
}

function operation(e: Endpoint): Record<string, unknown> {
  const pathParams = [...e.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  const ok =
    e.response === null
      ? { "204": { description: "done" } }
      : e.response === "sse"
        ? { "200": { description: "an event stream", content: { "text/event-stream": { schema: { type: "string" } } } } }
        : { "200": { description: "ok", content: { "application/json": { schema: json(e.response, "output") } } } };
  return {
    summary: e.summary,
    "x-runnel-role": e.role,
    security: e.role === "public" ? [] : [{ session: [] }, { bearer: [] }],
    parameters: [...pathParams, ...queryParameters(e.query)],
    ...(e.body ? { requestBody: { required: true, content: { "application/json": { schema: json(e.body, "input") } } } } : {}),
    responses: { ...ok, "400": errorResponse("invalid request"), "401": errorResponse("not authenticated"), "403": errorResponse("role too low"), "404": errorResponse("not found"), ...(e.body ? { "415": errorResponse("the body is not application/json") } : {}) },
  };
}

/** The OpenAPI 3.1 document of the API, generated from the contract's zod schemas. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of ENDPOINTS) (paths[e.path] ??= {})[e.method] = operation(e);
  return {
    openapi: "3.1.0",
    info: { title: "Runnel API", version: "1" },
    components: {
      securitySchemes: {
        session: { type: "apiKey", in: "cookie", name: "runnel_session" },
        bearer: { type: "http", scheme: "bearer" },
      },
    },
    paths,
  };
}
