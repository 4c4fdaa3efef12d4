import { describe, expect, it } from "vitest";
import type { ExistingRun } from "../../src/model/backfill";
import type { ReprocessMode } from "../../src/model/states";
import { estimateEtaSeconds, planBackfill, planToIso } from "../../src/scheduler/planBackfill";

const d = (day: number) => new Date(Date.UTC(2024, 0, day));
const days = [1, 2, 3, 4, 5, 6].map(d);
/** Day 1 has no run; 2 succeeded; 3 failed; 4 is still running; 5 was canceled; 6 succeeded with a failed task (all_done leaf). */
const existing = new Map<number, ExistingRun>([
  [d(2).getTime(), { state: "success", hasFailedTasks: false }],
  [d(3).getTime(), { state: "failed", hasFailedTasks: true }],
  [d(4).getTime(), { state: "running", hasFailedTasks: true }],
  [d(5).getTime(), { state: "canceled", hasFailedTasks: false }],
  [d(6).getTime(), { state: "success", hasFailedTasks: true }],
]);

describe("planBackfill", () => {
  const cases: { reprocess: ReprocessMode; create: number[]; clear: number[]; skip: number[] }[] = [
    { reprocess: "missing", create: [1], clear: [], skip: [2, 3, 4, 5, 6] },
    { reprocess: "failed", create: [1], clear: [3, 6], skip: [2, 4, 5] },
    { reprocess: "all", create: [1], clear: [2, 3, 5, 6], skip: [4] },
  ];
  it.each(cases)("reprocess $reprocess: create $create, clear $clear, skip $skip", ({ reprocess, create, clear, skip }) => {
    expect(planBackfill(days, existing, reprocess)).toEqual({ create: create.map(d), clear: clear.map(d), skip: skip.map(d) });
  });

  it("lists dates newest first with order newest, whatever the input order", () => {
    expect(planBackfill([d(1), d(3), d(2)], new Map(), "missing", "newest").create).toEqual([d(3), d(2), d(1)]);
    expect(planBackfill([d(3), d(1), d(2)], new Map(), "missing", "oldest").create).toEqual([d(1), d(2), d(3)]);
  });

  it("plans nothing for no dates, and prints ISO UTC", () => {
    expect(planBackfill([], existing, "all")).toEqual({ create: [], clear: [], skip: [] });
    expect(planToIso(planBackfill([d(1), d(2)], existing, "missing"))).toEqual({ create: ["2024-01-01T00:00:00.000Z"], clear: [], skip: ["2024-01-02T00:00:00.000Z"] });
  });
});

describe("estimateEtaSeconds", () => {
  it.each([
    { finished: [], remaining: 5, max: 2, eta: null },
    { finished: [1000, 3000], remaining: 0, max: 2, eta: 0 },
    { finished: [1000, 3000], remaining: 10, max: 2, eta: 10 },
    { finished: [4000], remaining: 3, max: 1, eta: 12 },
  ])("avg of $finished ms × $remaining / $max = $eta s", ({ finished, remaining, max, eta }) => {
    expect(estimateEtaSeconds({ finishedDurationsMs: finished, remaining, maxActiveRuns: max })).toBe(eta);
  });
});
