import type { CheckSeverity, Expectation } from "./checks";
import type { AlertEvent, DeadlineFrom } from "./alerts";
import type { TriggerRule } from "./states";

/** A `dag.check` task's settings as stored in the graph (for the UI and API). */
export interface SerializedCheck {
  /** The warehouse table checked, as written ("schema.table" or "table"). */
  dataset: string;
  partitionColumn: string;
  severity: CheckSeverity;
  /** Each expectation as written, with `name` set to its persisted name (the `expectation` of its check results). */
  expect: Array<Expectation & { name: string }>;
}

/** One task as stored in `dag_versions.graph`: everything static, no functions. */
export interface SerializedTask {
  id: string;
  kind: "task" | "sensor";
  /** alias in ctx.upstream -> upstream task id */
  needs: Record<string, string>;
  /** Direct upstream task ids (the values of `needs`, deduplicated, in declaration order). */
  upstream: string[];
  triggerRule: TriggerRule;
  retries: number;
  retryDelayMs: number;
  backoff: "fixed" | "exponential";
  maxRetryDelayMs: number;
  jitter: number;
  timeoutMs: number | null;
  priorityWeight: number;
  isolation: "inline" | "process";
  inputs: string[];
  outputs: string[];
  doc: string | null;
  sensor: { mode: "poke" | "reschedule"; intervalMs: number; timeoutMs: number; softFail: boolean; exponentialBackoff: boolean } | null;
  /** Set for `dag.check` tasks only; absent elsewhere, so graphs without checks (and their version hashes) are unchanged. */
  check?: SerializedCheck;
  /** `expectedDuration`: a deadline_missed event when the task has not finished this long after its first try started. Absent: none. */
  expectedDurationMs?: number;
  /**
   * Callback-only events its task instances must write (`task_succeeded` for an onSuccess,
   * `task_retry` for a task- or DAG-level onRetry). Absent when none, so graphs without callbacks keep their hashes.
   */
  notifyOn?: AlertEvent[];
}

/** A DAG as stored in `dag_versions.graph`. Its hash identifies the version. */
export interface SerializedDag {
  dagId: string;
  /** Cron or preset as written; `{ datasets }` for data-aware scheduling; null for manual only. */
  schedule: string | { datasets: string[] } | null;
  timezone: string;
  startDate: string | null;
  endDate: string | null;
  catchup: boolean;
  maxActiveRuns: number;
  maxActiveTasks: number | null;
  description: string | null;
  tags: string[];
  /** JSON Schema of the params (from the zod schema), or null when the DAG takes none. */
  paramsSchema: unknown;
  /** Tasks in a topological order. */
  tasks: SerializedTask[];
  /** The run must have finished `withinMs` after `from`, else one deadline_missed event. Absent: no deadline. */
  deadline?: { from: DeadlineFrom; withinMs: number };
  /** Callback-only events its runs must write (`run_succeeded` for a DAG-level onSuccess). Absent when none. */
  notifyOn?: AlertEvent[];
}
