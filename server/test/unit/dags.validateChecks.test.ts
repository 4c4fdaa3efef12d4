import { describe, expect, it } from "vitest";
import { checkProblems } from "../../src/dags/validateChecks";
import { formatProblems, validateDag } from "../../src/dags/validateDag";
import type { Expectation } from "../../src/sdk/checks";
import { defineDag, type CheckSpec, type DagDefinition } from "../../src/sdk/defineDag";
import type { CompiledSchedule, ScheduleSpec } from "../../src/schedule/index";

function okCompiler(spec: ScheduleSpec): CompiledSchedule {
  return { spec, cron: spec.schedule, startDate: null, endDate: null, timezone: spec.timezone };
}

/** Every kind, valid: none of these may be reported. */
const VALID: Expectation[] = [
  { kind: "rowCount", min: 5, max: 20 },
  { kind: "rowCount", name: "at least one", min: 1 },
  { kind: "nullRatio", column: "customer_id", max: 0 },
  { kind: "unique", columns: ["customer_id", "ds"] },
  { kind: "valueRange", column: "amount", min: -10, max: 1000 },
  { kind: "allowedValues", column: "status", values: ["new", "paid", 1, true] },
  { kind: "freshness", column: "updated_at", within: "2d" },
  { kind: "volumeAnomaly", window: 5, k: 3 },
  { kind: "distributionShift", column: "amount", window: 7, k: 2.5, minHistory: 7 },
];

function spec(expect: readonly unknown[], overrides: Partial<Record<keyof CheckSpec, unknown>> = {}): CheckSpec {
  return { dataset: "warehouse.orders", partitionColumn: "ds", severity: "error", expect: expect as Expectation[], ...overrides } as CheckSpec;
}

/** A DAG with one check built from what a JavaScript file could pass. */
function dagWithCheck(options: Record<string, unknown>): DagDefinition {
  return defineDag({ id: "checked" }, (dag) => {
    const load = dag.task("load", { run: () => 1 });
    dag.check("quality", { needs: { load }, dataset: "warehouse.orders", expect: [{ kind: "rowCount", min: 1 }], ...options } as Parameters<typeof dag.check>[1]);
  });
}

describe("checkProblems", () => {
  it("accepts every expectation kind with valid settings", () => {
    expect(checkProblems(spec(VALID))).toEqual([]);
    expect(checkProblems(spec(VALID, { severity: "warn", dataset: "orders", partitionColumn: "day" }))).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ["an unknown kind", { kind: "nullRate", column: "c", max: 0 }, 'expect[0]: unknown kind "nullRate" (one of rowCount, nullRatio, unique, valueRange, allowedValues, freshness, volumeAnomaly, distributionShift)'],
    ["a missing kind", { column: "c" }, "expect[0]: unknown kind undefined (one of"],
    ["not an object", "rowCount", 'expect[0]: must be an expectation object such as { kind: "rowCount", min: 1 }, got "rowCount"'],
    ["min > max", { kind: "rowCount", min: 10, max: 5 }, "expect[0] (rowCount): min (10) is greater than max (5)"],
    ["no bound at all", { kind: "valueRange", column: "amount" }, "expect[0] (valueRange): needs min, max or both"],
    ["a negative row count", { kind: "rowCount", min: -1 }, "expect[0] (rowCount): min must not be negative, got -1"],
    ["a string bound", { kind: "valueRange", column: "amount", max: "100" }, 'expect[0] (valueRange): max must be a number, got "100"'],
    ["a ratio above 1", { kind: "nullRatio", column: "c", max: 5 }, "expect[0] (nullRatio): max must be a ratio from 0 to 1, got 5"],
    ["a negative ratio", { kind: "nullRatio", column: "c", max: -0.1 }, "expect[0] (nullRatio): max must be a ratio from 0 to 1, got -0.1"],
    ["a missing column", { kind: "nullRatio", max: 0.1 }, "expect[0] (nullRatio): missing column"],
    ["a wrong-typed column", { kind: "freshness", column: 3, within: "1d" }, "expect[0] (freshness): column must be a column name, got 3"],
    ["empty unique columns", { kind: "unique", columns: [] }, "expect[0] (unique): columns must be a non-empty array of column names, got an array"],
    ["a blank unique column", { kind: "unique", columns: ["a", ""] }, "expect[0] (unique): columns must hold column names (non-empty strings)"],
    ["empty allowed values", { kind: "allowedValues", column: "s", values: [] }, "expect[0] (allowedValues): values must be a non-empty array, got an array"],
    ["an object among allowed values", { kind: "allowedValues", column: "s", values: [{}] }, "expect[0] (allowedValues): values must hold strings, numbers or booleans"],
    ["a bad duration", { kind: "freshness", column: "t", within: "2 days" }, 'expect[0] (freshness): within: cannot read "2 days" (use e.g. 500ms, 30s, 10m, 2h, 1d)'],
    ["a negative duration", { kind: "freshness", column: "t", within: -5 }, "expect[0] (freshness): within: expected a non-negative number of milliseconds, got -5"],
    ["window < 1", { kind: "volumeAnomaly", window: 0, k: 3, minHistory: 1 }, "expect[0] (volumeAnomaly): window must be an integer of at least 1, got 0"],
    ["a fractional window", { kind: "distributionShift", column: "a", window: 2.5, k: 3 }, "expect[0] (distributionShift): window must be an integer of at least 1, got 2.5"],
    ["k = 0", { kind: "volumeAnomaly", window: 5, k: 0 }, "expect[0] (volumeAnomaly): k must be a number greater than 0, got 0"],
    ["negative k", { kind: "distributionShift", column: "a", window: 5, k: -1 }, "expect[0] (distributionShift): k must be a number greater than 0, got -1"],
    ["minHistory > window", { kind: "volumeAnomaly", window: 5, k: 2, minHistory: 6 }, "expect[0] (volumeAnomaly): minHistory (6) is greater than window (5): it would never have enough history"],
    ["a window below the default minHistory", { kind: "volumeAnomaly", window: 2, k: 2 }, "expect[0] (volumeAnomaly): minHistory (3, the default) is greater than window (2)"],
    ["a missing k", { kind: "volumeAnomaly", window: 5 }, "expect[0] (volumeAnomaly): missing k"],
    ["a misspelt field", { kind: "rowCount", min: 1, mxa: 5 }, 'expect[0] (rowCount): unknown field "mxa" for kind rowCount (takes min, max)'],
    ["a blank name", { kind: "rowCount", min: 1, name: "" }, 'expect[0] (rowCount): name must be a non-empty string, got ""'],
  ])("reports %s", (_what, expectation, problem) => {
    const problems = checkProblems(spec([expectation]));
    expect(problems.some((p) => p.startsWith(problem)), JSON.stringify(problems)).toBe(true);
  });

  it("names an expectation by its name when it has one", () => {
    expect(checkProblems(spec([{ kind: "rowCount", name: "enough rows", min: 9, max: 1 }]))).toEqual(['expect[0] ("enough rows"): min (9) is greater than max (1)']);
  });

  it("reports the check's dataset, partition column, severity and expectation list", () => {
    expect(checkProblems(spec([{ kind: "rowCount", min: 1 }], { dataset: "a.b.c", partitionColumn: "ds; drop", severity: "fatal" }))).toEqual([
      'dataset must be "schema.table" or "table" (plain SQL identifiers), got "a.b.c"',
      'partitionColumn must be a plain column name, got "ds; drop"',
      'severity must be "error" or "warn", got "fatal"',
    ]);
    expect(checkProblems(spec([]))).toEqual(["expect must be a non-empty array of expectations"]);
    expect(checkProblems(spec("rowCount" as unknown as unknown[]))).toEqual(["expect must be a non-empty array of expectations"]);
  });

  it("reports two expectations with one persisted name, and every problem rather than the first", () => {
    const problems = checkProblems(spec([{ kind: "nullRatio", column: "c", max: 0 }, { kind: "nullRatio", column: "c", max: 0.5 }, { kind: "unique", columns: [] }]));
    expect(problems).toEqual([
      'expect[1]: has the same name "nullRatio(c)" as expect[0]; give one a name',
      "expect[2] (unique): columns must be a non-empty array of column names, got an array",
    ]);
  });
});

describe("validateDag with checks", () => {
  it("turns check problems into DAG problems naming the check", () => {
    const result = validateDag(dagWithCheck({ severity: "loud", expect: [{ kind: "rowCount", min: 3, max: 1 }] }), okCompiler);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(['check "quality": severity must be "error" or "warn", got "loud"', 'check "quality": expect[0] (rowCount): min (3) is greater than max (1)']);
    expect(formatProblems("checked", problems)).toBe(
      'DAG "checked" has 2 problems:\n  - check "quality": severity must be "error" or "warn", got "loud"\n  - check "quality": expect[0] (rowCount): min (3) is greater than max (1)',
    );
  });

  it("accepts a valid check", () => {
    expect(validateDag(dagWithCheck({ expect: VALID, severity: "warn" }), okCompiler)).toMatchObject({ ok: true });
  });

  it("still refuses a check without expectations when the DAG is defined", () => {
    expect(() => dagWithCheck({ expect: [] })).toThrow('DAG checked: check "quality" has no expectations');
  });
});
