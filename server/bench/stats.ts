/** Small statistics helpers for the bench. */

/** The p-th percentile (0..100) of `values`, nearest-rank on the sorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : Number.NaN;
  return { n, mean, p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99), max: n ? Math.max(...values) : Number.NaN };
}

/** Rounds to 2 decimals (what results.json stores). */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** A number for a table cell. */
export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}
