import type { Expectation } from "../sdk/checks";
import { expectationName } from "../sdk/checks";
import { parseDuration } from "../sdk/duration";

/**
 * The statistics an expectation is judged on, gathered by `checkStats.ts`. Counts are numbers;
 * `history` lists one value per trailing partition (newest first), never the current one.
 */
export type ExpectationStats =
  | { kind: "rowCount"; rows: number }
  | { kind: "nullRatio"; rows: number; nulls: number }
  | { kind: "unique"; duplicates: number }
  | { kind: "valueRange"; violations: number; min: number | null; max: number | null }
  | { kind: "allowedValues"; violations: number; examples: string[] }
  | { kind: "freshness"; newest: Date | null }
  | { kind: "volumeAnomaly"; rows: number; history: number[] }
  | { kind: "distributionShift"; mean: number | null; history: number[] };

/** One evaluated expectation, as stored in `check_results`. */
export interface ExpectationResult {
  expectation: string;
  kind: Expectation["kind"];
  passed: boolean;
  /** What was measured, in words a reader of the run page understands. */
  observed: string;
  /** What it had to satisfy. */
  threshold: string;
}

/** Inputs besides the stats that an evaluation may need. */
export interface EvaluationContext {
  /** End of the run's data interval: the reference time of `freshness` (so reruns judge alike). */
  referenceTime: Date;
}

const DEFAULT_MIN_HISTORY = 3;

/** Mean and sample standard deviation (0 for a single value). */
export function meanAndStddev(values: readonly number[]): { mean: number; stddev: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, stddev: 0 };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, stddev: Math.sqrt(variance) };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(4).replace(/0+$/, "").replace(/\.$/, "");
}

function range(min: number | undefined, max: number | undefined): string {
  return `between ${min === undefined ? "-inf" : fmt(min)} and ${max === undefined ? "+inf" : fmt(max)}`;
}

/** Judges `value` against the trailing window: |value - mean| <= k * stddev. */
function againstHistory(value: number, history: readonly number[], k: number, minHistory: number, what: string): Omit<ExpectationResult, "expectation" | "kind"> {
  if (history.length < minHistory) {
    return { passed: true, observed: `${what} ${fmt(value)}; insufficient history (${history.length} of ${minHistory} partitions)`, threshold: `within ${fmt(k)} stddev of trailing mean` };
  }
  const { mean, stddev } = meanAndStddev(history);
  const deviation = Math.abs(value - mean);
  return {
    passed: deviation <= k * stddev,
    observed: `${what} ${fmt(value)} (trailing mean ${fmt(mean)}, stddev ${fmt(stddev)}, ${history.length} partitions)`,
    threshold: `|${what} - mean| <= ${fmt(k)} * stddev = ${fmt(k * stddev)}`,
  };
}

function mismatch(expected: string, got: string): never {
  throw new Error(`stats of kind ${got} cannot judge an expectation of kind ${expected}`);
}

/** Judges one expectation on its statistics. Pure; throws only when the stats are of another kind. */
export function evaluateExpectation(e: Expectation, stats: ExpectationStats, ctx: EvaluationContext): ExpectationResult {
  if (stats.kind !== e.kind) mismatch(e.kind, stats.kind);
  const head = { expectation: expectationName(e), kind: e.kind };
  switch (e.kind) {
    case "rowCount": {
      const s = stats as Extract<ExpectationStats, { kind: "rowCount" }>;
      const passed = (e.min === undefined || s.rows >= e.min) && (e.max === undefined || s.rows <= e.max);
      return { ...head, passed, observed: `${s.rows} rows`, threshold: `rows ${range(e.min, e.max)}` };
    }
    case "nullRatio": {
      const s = stats as Extract<ExpectationStats, { kind: "nullRatio" }>;
      const ratio = s.rows === 0 ? 0 : s.nulls / s.rows;
      return { ...head, passed: ratio <= e.max, observed: `${s.nulls} of ${s.rows} null (${fmt(ratio)})`, threshold: `null ratio <= ${fmt(e.max)}` };
    }
    case "unique": {
      const s = stats as Extract<ExpectationStats, { kind: "unique" }>;
      return { ...head, passed: s.duplicates === 0, observed: `${s.duplicates} duplicate rows`, threshold: `no duplicates of (${e.columns.join(", ")})` };
    }
    case "valueRange": {
      const s = stats as Extract<ExpectationStats, { kind: "valueRange" }>;
      const seen = s.min === null ? "no values" : `min ${fmt(s.min)}, max ${fmt(s.max ?? s.min)}`;
      return { ...head, passed: s.violations === 0, observed: `${s.violations} out of range (${seen})`, threshold: `${e.column} ${range(e.min, e.max)}` };
    }
    case "allowedValues": {
      const s = stats as Extract<ExpectationStats, { kind: "allowedValues" }>;
      const examples = s.examples.length ? ` e.g. ${s.examples.map((v) => JSON.stringify(v)).join(", ")}` : "";
      return { ...head, passed: s.violations === 0, observed: `${s.violations} not allowed${examples}`, threshold: `${e.column} in (${e.values.map(String).join(", ")})` };
    }
    case "freshness": {
      const s = stats as Extract<ExpectationStats, { kind: "freshness" }>;
      const withinMs = parseDuration(e.within, `${head.expectation}: within`);
      const threshold = `newest ${e.column} at most ${String(e.within)} before ${ctx.referenceTime.toISOString()}`;
      if (s.newest === null) return { ...head, passed: false, observed: "no values", threshold };
      const lagMs = ctx.referenceTime.getTime() - s.newest.getTime();
      return { ...head, passed: lagMs <= withinMs, observed: `newest ${s.newest.toISOString()} (${Math.round(lagMs / 1000)} s old)`, threshold };
    }
    case "volumeAnomaly": {
      const s = stats as Extract<ExpectationStats, { kind: "volumeAnomaly" }>;
      return { ...head, ...againstHistory(s.rows, s.history, e.k, e.minHistory ?? DEFAULT_MIN_HISTORY, "rows") };
    }
    case "distributionShift": {
      const s = stats as Extract<ExpectationStats, { kind: "distributionShift" }>;
      if (s.mean === null) return { ...head, passed: false, observed: `no non-null ${e.column} values`, threshold: `mean of ${e.column} within ${fmt(e.k)} stddev of trailing means` };
      return { ...head, ...againstHistory(s.mean, s.history, e.k, e.minHistory ?? DEFAULT_MIN_HISTORY, `mean(${e.column})`) };
    }
  }
}
