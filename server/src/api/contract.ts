/**
 * The HTTP API contract: zod schemas of every request and response, shared by the server (which
 * validates with them and generates /api/openapi.json from them) and the dashboard (which imports
 * the inferred types). This file may import only zod and the SDK's state lists: web/ bundles it.
 *
 * Conventions: every date is an ISO 8601 string (UTC); ids of database rows (`dagRunId`, task
 * instance `id`) are numbers; `runId` is the human run id (`manual__2024-01-01T00:00:00+00:00`).
 * Paginated lists answer `nextCursor`: pass it back as `cursor` for the next page; null = last page.
 */
export * from "./contract/common";
export * from "./contract/dags";
export * from "./contract/runs";
export * from "./contract/grid";
export * from "./contract/actions";
export * from "./contract/audit";
export * from "./contract/events";
export * from "./contract/users";
export * from "./contract/backfills";
export * from "./contract/deadLetters";
export * from "./contract/checks";
export * from "./contract/lineage";
export * from "./contract/alerts";
