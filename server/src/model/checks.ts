import type { Duration } from "./duration";

/** How a failed check ends its task. Persisted in `check_results.severity`. */
export const CheckSeverity = {
  /** A failed expectation fails the task without retrying (set by `dag.check`). */
  error: "error",
  /** A failed expectation is recorded and logged; the task still succeeds. */
  warn: "warn",
} as const;
export type CheckSeverity = (typeof CheckSeverity)[keyof typeof CheckSeverity];
export const CHECK_SEVERITIES = Object.values(CheckSeverity);

/**
 * One expectation on a warehouse partition. Each is evaluated on statistics gathered with SQL
 * for the run's partition (and, for `volumeAnomaly`/`distributionShift`, the trailing partitions
 * before it). Persisted ids are the `name` when given, else derived from the kind and columns.
 */
export type Expectation = { name?: string } & (
  /** Rows in the partition are within [min, max] (either bound optional). */
  | { kind: "rowCount"; min?: number; max?: number }
  /** At most `max` (0..1) of the partition's rows have `column` null. */
  | { kind: "nullRatio"; column: string; max: number }
  /** No two rows of the partition share the values of `columns`. */
  | { kind: "unique"; columns: readonly string[] }
  /** Every non-null `column` value is within [min, max]. */
  | { kind: "valueRange"; column: string; min?: number; max?: number }
  /** Every non-null `column` value (compared as text) is one of `values`. */
  | { kind: "allowedValues"; column: string; values: readonly (string | number | boolean)[] }
  /** The newest `column` timestamp is at most `within` before the end of the run's data interval. */
  | { kind: "freshness"; column: string; within: Duration }
  /**
   * The row count is within `k` standard deviations of the mean count of the `window` partitions
   * before this one. Passes (as "insufficient history") with fewer than `minHistory` (default 3).
   */
  | { kind: "volumeAnomaly"; window: number; k: number; minHistory?: number }
  /**
   * The mean of numeric `column` is within `k` standard deviations of the per-partition means of
   * the `window` partitions before this one. Same `minHistory` rule as `volumeAnomaly`.
   */
  | { kind: "distributionShift"; column: string; window: number; k: number; minHistory?: number }
);

export type ExpectationKind = Expectation["kind"];

/** The persisted name of an expectation: its `name`, else kind plus columns (e.g. "nullRatio(customer_id)"). */
export function expectationName(e: Expectation): string {
  if (e.name) return e.name;
  switch (e.kind) {
    case "rowCount":
    case "volumeAnomaly":
      return e.kind;
    case "unique":
      return `unique(${e.columns.join(",")})`;
    default:
      return `${e.kind}(${e.column})`;
  }
}
