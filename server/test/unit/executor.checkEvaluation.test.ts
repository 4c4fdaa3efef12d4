import { describe, expect, it } from "vitest";
import type { Expectation } from "../../src/sdk/checks";
import { evaluateExpectation, meanAndStddev, type ExpectationStats } from "../../src/executor/checkEvaluation";

const ctx = { referenceTime: new Date("2024-03-11T00:00:00Z") };
const history = [9, 10, 11, 10, 10]; // mean 10, sample stddev ~0.707

const cases: { name: string; e: Expectation; stats: ExpectationStats; passed: boolean; observed?: string }[] = [
  { name: "rowCount within", e: { kind: "rowCount", min: 1, max: 10 }, stats: { kind: "rowCount", rows: 10 }, passed: true, observed: "10 rows" },
  { name: "rowCount below min", e: { kind: "rowCount", min: 1 }, stats: { kind: "rowCount", rows: 0 }, passed: false },
  { name: "rowCount above max", e: { kind: "rowCount", max: 5 }, stats: { kind: "rowCount", rows: 6 }, passed: false },
  { name: "nullRatio at limit", e: { kind: "nullRatio", column: "c", max: 0.1 }, stats: { kind: "nullRatio", rows: 10, nulls: 1 }, passed: true },
  { name: "nullRatio over", e: { kind: "nullRatio", column: "c", max: 0 }, stats: { kind: "nullRatio", rows: 40, nulls: 1 }, passed: false, observed: "1 of 40 null (0.025)" },
  { name: "nullRatio empty partition", e: { kind: "nullRatio", column: "c", max: 0 }, stats: { kind: "nullRatio", rows: 0, nulls: 0 }, passed: true },
  { name: "unique", e: { kind: "unique", columns: ["a", "b"] }, stats: { kind: "unique", duplicates: 0 }, passed: true },
  { name: "unique with duplicates", e: { kind: "unique", columns: ["a"] }, stats: { kind: "unique", duplicates: 2 }, passed: false },
  { name: "valueRange", e: { kind: "valueRange", column: "x", min: 0 }, stats: { kind: "valueRange", violations: 0, min: 0, max: 9 }, passed: true },
  { name: "valueRange out", e: { kind: "valueRange", column: "x", max: 10 }, stats: { kind: "valueRange", violations: 1, min: 0, max: 11 }, passed: false },
  { name: "allowedValues", e: { kind: "allowedValues", column: "s", values: ["a"] }, stats: { kind: "allowedValues", violations: 0, examples: [] }, passed: true },
  { name: "allowedValues not", e: { kind: "allowedValues", column: "s", values: ["a"] }, stats: { kind: "allowedValues", violations: 3, examples: ["b"] }, passed: false, observed: '3 not allowed e.g. "b"' },
  { name: "freshness fresh", e: { kind: "freshness", column: "t", within: "1d" }, stats: { kind: "freshness", newest: new Date("2024-03-10T00:00:00Z") }, passed: true },
  { name: "freshness stale", e: { kind: "freshness", column: "t", within: "1d" }, stats: { kind: "freshness", newest: new Date("2024-03-09T23:59:59Z") }, passed: false },
  { name: "freshness empty", e: { kind: "freshness", column: "t", within: "1d" }, stats: { kind: "freshness", newest: null }, passed: false, observed: "no values" },
  { name: "volume normal", e: { kind: "volumeAnomaly", window: 5, k: 3 }, stats: { kind: "volumeAnomaly", rows: 12, history }, passed: true },
  { name: "volume anomaly", e: { kind: "volumeAnomaly", window: 5, k: 3 }, stats: { kind: "volumeAnomaly", rows: 13, history }, passed: false },
  { name: "volume short history", e: { kind: "volumeAnomaly", window: 5, k: 3 }, stats: { kind: "volumeAnomaly", rows: 1000, history: [10, 10] }, passed: true },
  { name: "volume flat history", e: { kind: "volumeAnomaly", window: 5, k: 3, minHistory: 2 }, stats: { kind: "volumeAnomaly", rows: 11, history: [10, 10] }, passed: false },
  { name: "distribution steady", e: { kind: "distributionShift", column: "x", window: 5, k: 2 }, stats: { kind: "distributionShift", mean: 10.5, history }, passed: true },
  { name: "distribution shift", e: { kind: "distributionShift", column: "x", window: 5, k: 2 }, stats: { kind: "distributionShift", mean: 20, history }, passed: false },
  { name: "distribution no values", e: { kind: "distributionShift", column: "x", window: 5, k: 2 }, stats: { kind: "distributionShift", mean: null, history }, passed: false },
];

describe("evaluateExpectation", () => {
  it.each(cases)("$name", ({ e, stats, passed, observed }) => {
    const r = evaluateExpectation(e, stats, ctx);
    expect(r.passed).toBe(passed);
    expect(r.kind).toBe(e.kind);
    if (observed) expect(r.observed).toContain(observed);
  });

  it("refuses stats of another kind", () => {
    expect(() => evaluateExpectation({ kind: "rowCount" }, { kind: "unique", duplicates: 0 }, ctx)).toThrow(/cannot judge/);
  });

  it("names expectations after their kind and columns unless named", () => {
    expect(evaluateExpectation({ kind: "unique", columns: ["a", "b"] }, { kind: "unique", duplicates: 0 }, ctx).expectation).toBe("unique(a,b)");
    expect(evaluateExpectation({ kind: "rowCount", name: "has_rows" }, { kind: "rowCount", rows: 1 }, ctx).expectation).toBe("has_rows");
  });

  it("uses the sample standard deviation", () => {
    expect(meanAndStddev([9, 10, 11, 10, 10])).toEqual({ mean: 10, stddev: Math.sqrt(0.5) });
  });
});
