/**
 * Response shapes of the HTTP API, shared by the server and the dashboard (web/ imports these
 * types; nothing here may import server code beyond the SDK's state lists).
 */
import type { RunState } from "../sdk/states";

/** One of the latest runs of a DAG, newest first. */
export interface RecentRun {
  runId: string;
  state: RunState;
  /** ISO 8601: the start of the run's data interval. */
  logicalDate: string;
}

/** A DAG as listed by `GET /api/dags`. */
export interface DagSummary {
  dagId: string;
  /** Cron expression or preset (`@daily`); null = manual only. */
  schedule: string | null;
  /** The schedule in words, e.g. "every day at 00:00". */
  scheduleDescription: string;
  isPaused: boolean;
  /** ISO 8601: when the next scheduled run is due; null for manual-only or past its end date. */
  nextRunAt: string | null;
  recentRuns: RecentRun[];
}

/** A DAG file that failed to load. */
export interface ImportError {
  /** Path of the file, relative to the DAG folder. */
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

/** Body of every 4xx/5xx answer. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}
