import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineDag, type DagDefinition } from "../../src/sdk/defineDag";
import type { DagOptions, TaskDefaults } from "../../src/sdk/types";
import type { CompiledSchedule, ScheduleSpec } from "../../src/schedule/index";
import { formatProblems, isZodSchema, validateDag } from "../../src/dags/validateDag";

function okCompiler(spec: ScheduleSpec): CompiledSchedule {
  return { spec, cron: spec.schedule, startDate: null, endDate: null, timezone: spec.timezone };
}

/** A DAG built from options the type system would reject: what a JavaScript DAG file can do. */
function dagWith(options: Record<string, unknown>, task: Record<string, unknown> = {}): DagDefinition {
  return defineDag({ id: "v", ...options } as DagOptions, (dag) => {
    dag.task("t", { run: () => 1, ...(task as TaskDefaults) });
  });
}

function problemsOf(dag: DagDefinition, compiler = okCompiler): string[] {
  const result = validateDag(dag, compiler);
  return result.ok ? [] : result.problems;
}

describe("validateDag", () => {
  it("accepts a valid DAG and returns the compiled schedule", () => {
    const dag = defineDag({ id: "ok", schedule: "@daily", startDate: "2024-01-01", params: z.object({ a: z.string() }) }, (d) => {
      d.task("t", { retries: 2, retryDelay: "5s", run: () => 1 });
    });
    const result = validateDag(dag, okCompiler);
    expect(result).toMatchObject({ ok: true, schedule: { cron: "@daily", timezone: "UTC" } });
  });

  it("passes the schedule spec with defaults to the compiler and reports what it throws", () => {
    const seen: ScheduleSpec[] = [];
    const problems = problemsOf(dagWith({ schedule: "nope" }), (spec) => {
      seen.push(spec);
      throw new Error(`invalid schedule "${spec.schedule}"`);
    });
    expect(seen).toEqual([{ schedule: "nope", timezone: "UTC", startDate: null, endDate: null, catchup: false }]);
    expect(problems).toEqual(['invalid schedule "nope"']);
  });

  it("accepts a dataset schedule and compiles it as manual-only (no clock runs)", () => {
    const seen: ScheduleSpec[] = [];
    const result = validateDag(dagWith({ schedule: { datasets: ["warehouse.orders", "file:///data/x"] } }), (spec) => {
      seen.push(spec);
      return okCompiler(spec);
    });
    expect(result.ok).toBe(true);
    expect(seen.map((s) => s.schedule)).toEqual([null]);
  });

  it.each([
    [{ datasets: [] }, /schedule\.datasets must be a non-empty array/],
    [{ datasets: "warehouse.orders" }, /schedule\.datasets must be a non-empty array/],
    [{ datasets: ["warehouse.orders", ""] }, /schedule\.datasets must hold dataset URIs/],
    [{ datasets: ["a.b", "a.b"] }, /schedule\.datasets lists "a\.b" twice/],
    [{ dataset: ["a.b"] }, /^schedule must be a cron string, a preset such as "@daily", \{ datasets: \[\.\.\.\] \}, or null/],
  ])("reports the dataset schedule %j", (schedule, message) => {
    const problems = problemsOf(dagWith({ schedule }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it("rejects a schedule that is not a string", () => {
    expect(problemsOf(dagWith({ schedule: 5 }))).toEqual([expect.stringMatching(/^schedule must be a cron string/)]);
  });

  it.each([
    [{ maxActiveRuns: 0 }, /maxActiveRuns must be a positive integer, got 0/],
    [{ maxActiveRuns: 1.5 }, /maxActiveRuns must be a positive integer, got 1.5/],
    [{ maxActiveTasks: -1 }, /maxActiveTasks must be a positive integer, got -1/],
    [{ catchup: "yes" }, /catchup must be true or false/],
    [{ params: { region: "eu" } }, /params must be a zod schema/],
    [{ tags: "a,b" }, /tags must be an array of strings/],
    [{ defaults: { retryDelay: "5 minutes" } }, /defaults\.retryDelay: cannot read "5 minutes"/],
    [{ defaults: { retries: -1 } }, /defaults\.retries must be a non-negative integer/],
    [{ defaults: { backoff: "linear" } }, /defaults\.backoff must be "fixed" or "exponential"/],
    [{ defaults: { jitter: 2 } }, /defaults\.jitter must be a number from 0 to 1/],
  ])("reports %j", (options, message) => {
    const problems = problemsOf(dagWith(options));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it("reports a bad option on the DAG defaults once, not again for every task", () => {
    const dag = defineDag({ id: "d", defaults: { timeout: "soon" as "1s" } }, (d) => {
      d.task("a", { run: () => 1 });
      d.task("b", { run: () => 1 });
    });
    expect(problemsOf(dag)).toEqual([expect.stringMatching(/^defaults\.timeout: cannot read "soon"/)]);
  });

  it("reports task options and sensor settings with the task id", () => {
    const dag = defineDag({ id: "s" }, (d) => {
      d.sensor("wait", { poke: () => true, interval: "often" as "1s" });
      d.task("t", { isolation: "thread" as "inline", triggerRule: "most_success" as "all_done", run: () => 1 });
    });
    expect(problemsOf(dag)).toEqual([
      expect.stringMatching(/^task "wait": interval: cannot read "often"/),
      expect.stringMatching(/^task "t": isolation must be "inline" or "process"/),
      expect.stringMatching(/^task "t": triggerRule must be one of all_success/),
    ]);
  });

  it("collects every problem rather than stopping at the first", () => {
    expect(problemsOf(dagWith({ maxActiveRuns: 0, maxActiveTasks: 0 }, { retries: 1.5 }))).toHaveLength(3);
  });
});

describe("formatProblems", () => {
  it("is one line for one problem and a short list for several", () => {
    expect(formatProblems("x", ["a"])).toBe('DAG "x": a');
    expect(formatProblems("x", ["a", "b"])).toBe('DAG "x" has 2 problems:\n  - a\n  - b');
  });
});

describe("isZodSchema", () => {
  it("recognises zod schemas and nothing else", () => {
    expect(isZodSchema(z.object({}))).toBe(true);
    expect(isZodSchema(z.string())).toBe(true);
    expect(isZodSchema({ region: "eu" })).toBe(false);
    expect(isZodSchema(null)).toBe(false);
  });
});
