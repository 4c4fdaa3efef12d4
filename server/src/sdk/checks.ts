import type { CheckSeverity, Expectation } from "../model/checks";
import type { TriggerRule } from "../model/states";
import type { JsonValue, Needs, TaskDefaults } from "./types";

export { CHECK_SEVERITIES, CheckSeverity, expectationName, type Expectation, type ExpectationKind } from "../model/checks";

/** What `dag.check` is given besides `needs`. */
export interface CheckDefinition {
  /** "schema.table", or "table" in the warehouse schema. Read only; the check writes nothing there. */
  dataset: string;
  /** The column holding the partition key (compared as text with `ctx.partition`). Default "ds". */
  partitionColumn?: string;
  expect: readonly Expectation[];
  /** "error" (default) fails the task when an expectation fails; "warn" records and logs it. */
  severity?: CheckSeverity;
}

/** Options of `dag.check`: a task that evaluates expectations on a partition instead of running code. */
export interface CheckOptions<N extends Needs> extends CheckDefinition, TaskDefaults {
  /** Upstream tasks; usually the task that writes `dataset`. */
  needs?: N;
  triggerRule?: TriggerRule;
  doc?: string;
}

/** What a check task outputs (stored per task instance and handed downstream). */
export interface CheckOutput {
  [key: string]: JsonValue;
  dataset: string;
  partition: string;
  passed: number;
  failed: string[];
}
