/**
 * Response shapes of the Runnel API: the server's own definitions, never copied by hand.
 */
export type { RunState } from "../../../server/src/sdk/states";
export type { ApiErrorBody, DagListResponse, DagSummary, ImportError, RecentRun } from "../../../server/src/api/contract";
