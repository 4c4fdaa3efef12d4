import type { Duration } from "../model/duration";

export type { Duration };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in a Duration; throws a clear error for anything else. */
export function parseDuration(value: Duration, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${what}: expected a non-negative number of milliseconds, got ${value}`);
    return value;
  }
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(String(value).trim());
  if (!match) throw new Error(`${what}: cannot read "${String(value)}" (use e.g. 500ms, 30s, 10m, 2h, 1d)`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}
