/**
 * Response shapes of the Runnel API as the dashboard reads them.
 * Temporary: these will be derived from the server's zod schemas (or its OpenAPI document)
 * instead of being copied by hand.
 */

/** Run states, as the server stores them (`dag_runs.state`). */
export const RunState = {
  queued: "queued",
  running: "running",
  success: "success",
  failed: "failed",
  canceled: "canceled",
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

/** One of the latest runs of a DAG, newest first. */
export interface RecentRun {
  runId: string;
  state: RunState;
  /** ISO 8601 timestamp: the start of the run's data interval. */
  logicalDate: string;
}

/** A DAG as listed by `GET /api/dags`. */
export interface DagSummary {
  dagId: string;
  /** Cron expression or preset (`@daily`); null = manual only. */
  schedule: string | null;
  /** The schedule in words, e.g. "Every day at 00:00 UTC". */
  scheduleDescription: string;
  isPaused: boolean;
  /** ISO 8601; null when paused, manual-only or past its end date. */
  nextRunAt: string | null;
  recentRuns: RecentRun[];
}

/** A DAG file that failed to load. */
export interface ImportError {
  /** Path of the file, relative to the DAGs folder. */
  fileloc: string;
  message: string;
  /** ISO 8601. */
  createdAt: string;
}

/** Body of `GET /api/dags`. */
export interface DagListResponse {
  dags: DagSummary[];
  importErrors: ImportError[];
}
