import { describe, expect, it } from "vitest";
import { formatProblems, validateDag } from "../../src/dags/validateDag";
import { serializeDag, stableStringify } from "../../src/dags/serializeDag";
import type { CompiledSchedule, ScheduleSpec } from "../../src/schedule/index";
import { defineDag, type DagDefinition } from "../../src/sdk/defineDag";
import type { DagOptions, TaskDefaults } from "../../src/sdk/types";

/**
 * The DAG `deadline` and task `expectedDuration` options (issue 10 item 4): what validation
 * reports for bad values, and what the stored graph holds (nothing at all when they are unset, so
 * existing DAG versions keep their hashes).
 */
function okCompiler(spec: ScheduleSpec): CompiledSchedule {
  return { spec, cron: spec.schedule, startDate: null, endDate: null, timezone: spec.timezone };
}

/** A DAG built from options the type system would reject: what a JavaScript DAG file can do. */
function dagWith(options: Record<string, unknown>, task: Record<string, unknown> = {}): DagDefinition {
  return defineDag({ id: "late", ...options } as DagOptions, (dag) => {
    dag.task("t", { run: () => 1, ...(task as TaskDefaults) });
  });
}

function problemsOf(dag: DagDefinition): string[] {
  const result = validateDag(dag, okCompiler);
  return result.ok ? [] : result.problems;
}

describe("deadline and expectedDuration: validation", () => {
  it("accepts each `from` and a task-level or defaulted expectedDuration", () => {
    for (const from of ["queued", "logicalDate", "intervalEnd"]) {
      expect(problemsOf(dagWith({ deadline: { from, within: "2h" }, defaults: { expectedDuration: "10m" } }, { expectedDuration: 60_000 }))).toEqual([]);
    }
  });

  it.each([
    [{ from: "start", within: "2h" }, 'deadline.from must be one of "queued", "logicalDate", "intervalEnd"; got "start"'],
    [{ within: "2h" }, 'deadline.from must be one of "queued", "logicalDate", "intervalEnd"; got undefined'],
    [{ from: "queued", within: "two hours" }, 'deadline.within: cannot read "two hours" (use e.g. 500ms, 30s, 10m, 2h, 1d)'],
    [{ from: "queued" }, 'deadline.within is required (a duration such as "2h")'],
    [{ from: "queued", within: 0 }, "deadline.within must be longer than 0, got 0"],
    [{ from: "queued", within: -5 }, "deadline.within: expected a non-negative number of milliseconds, got -5"],
    ["2h", 'deadline must be { from: "queued" | "logicalDate" | "intervalEnd", within: "2h" }, got "2h"'],
  ])("reports deadline %j", (deadline, message) => {
    expect(problemsOf(dagWith({ deadline }))).toEqual([message]);
  });

  it("reports an unreadable expectedDuration naming the task, or naming defaults once", () => {
    expect(problemsOf(dagWith({}, { expectedDuration: "10 minutes" }))).toEqual(['task "t": expectedDuration: cannot read "10 minutes" (use e.g. 500ms, 30s, 10m, 2h, 1d)']);
    expect(problemsOf(dagWith({}, { expectedDuration: "0s" }))).toEqual(['task "t": expectedDuration must be longer than 0, got "0s"']);
    // A bad value in defaults is reported once, not again for every task that inherits it.
    expect(problemsOf(dagWith({ defaults: { expectedDuration: "soon" } }))).toEqual(['defaults.expectedDuration: cannot read "soon" (use e.g. 500ms, 30s, 10m, 2h, 1d)']);
  });

  it("makes an import error that names the DAG", () => {
    const result = validateDag(dagWith({ deadline: { from: "tomorrow", within: "1h" } }, { expectedDuration: "x" }), okCompiler);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatProblems("late", result.problems)).toBe(
      [
        'DAG "late" has 2 problems:',
        '  - deadline.from must be one of "queued", "logicalDate", "intervalEnd"; got "tomorrow"',
        '  - task "t": expectedDuration: cannot read "x" (use e.g. 500ms, 30s, 10m, 2h, 1d)',
      ].join("\n"),
    );
  });
});

describe("deadline and expectedDuration: serialization", () => {
  const schedule = okCompiler({ schedule: null, timezone: "UTC", startDate: null, endDate: null, catchup: false });

  it("writes graph.deadline {from, withinMs} and each task's expectedDurationMs (its own, else the DAG default)", () => {
    const dag = defineDag({ id: "late", deadline: { from: "intervalEnd", within: "2h" }, defaults: { expectedDuration: "10m" } }, (d) => {
      const a = d.task("a", { run: () => 1 });
      d.task("b", { needs: { a }, expectedDuration: "90s", run: () => 2 });
      d.sensor("c", { poke: () => true, expectedDuration: 5000 });
    });
    const g = serializeDag(dag, schedule);
    expect(g.deadline).toEqual({ from: "intervalEnd", withinMs: 7_200_000 });
    expect(g.tasks.map((t) => [t.id, t.expectedDurationMs])).toEqual([
      ["a", 600_000],
      ["b", 90_000],
      ["c", 5000],
    ]);
  });

  it("leaves both out when unset, so the graph text (and the version hash) of existing DAGs is unchanged", () => {
    const dag = defineDag({ id: "plain", defaults: { retries: 1 } }, (d) => {
      d.task("a", { run: () => 1 });
    });
    const g = serializeDag(dag, schedule);
    expect("deadline" in g).toBe(false);
    expect("expectedDurationMs" in g.tasks[0]!).toBe(false);
    expect(stableStringify(g)).not.toMatch(/deadline|expectedDuration/);
  });
});
