import type { TriggerRule } from "../sdk/states";

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
}

/** A DAG as stored in `dag_versions.graph`. Its hash identifies the version. */
export interface SerializedDag {
  dagId: string;
  schedule: string | null;
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
}
