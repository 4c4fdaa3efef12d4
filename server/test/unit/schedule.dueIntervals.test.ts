import { describe, expect, it } from "vitest";
import { ScheduleError, compileSchedule, dueIntervals, type DataInterval, type ScheduleSpec } from "../../src/schedule/index";

const compile = (schedule: string | null, over: Partial<ScheduleSpec> = {}) =>
  compileSchedule({ schedule, timezone: "UTC", startDate: "2024-01-01", endDate: null, catchup: true, ...over });
const d = (iso: string): Date => new Date(iso);
const starts = (list: DataInterval[]): string[] => list.map((i) => i.start.toISOString().slice(0, 16));
const due = (s: ReturnType<typeof compile>, last: string | null, now: string, limit = 1000): string[] =>
  starts(dueIntervals(s, { lastLogicalDate: last === null ? null : d(last), now: d(now), limit }));

describe("dueIntervals: when an interval becomes due", () => {
  it.each<[string, string[]]>([
    ["2024-01-01T00:00:00Z", []],
    ["2024-01-01T23:59:59.999Z", []],
    // @daily for 2024-01-01 runs just after 2024-01-02 00:00
    ["2024-01-02T00:00:00Z", ["2024-01-01T00:00"]],
    ["2024-01-02T00:00:00.001Z", ["2024-01-01T00:00"]],
  ])("@daily, now %s", (now, expected) => {
    expect(due(compile("@daily"), null, now)).toEqual(expected);
  });
});

describe("dueIntervals with catchup", () => {
  it.each<[string, Partial<ScheduleSpec>, string | null, string, number, string[]]>([
    ["@daily", {}, null, "2024-01-04T00:00:00Z", 100, ["2024-01-01T00:00", "2024-01-02T00:00", "2024-01-03T00:00"]],
    ["@daily", {}, null, "2024-01-04T12:00:00Z", 100, ["2024-01-01T00:00", "2024-01-02T00:00", "2024-01-03T00:00"]],
    ["@daily", {}, "2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z", 100, ["2024-01-03T00:00"]],
    ["@daily", {}, "2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z", 100, []],
    // limited: the oldest first
    ["@daily", {}, null, "2024-02-01T00:00:00Z", 2, ["2024-01-01T00:00", "2024-01-02T00:00"]],
    ["@daily", {}, null, "2024-02-01T00:00:00Z", 0, []],
    // endDate is inclusive
    ["@daily", { endDate: "2024-01-02" }, null, "2024-02-01T00:00:00Z", 100, ["2024-01-01T00:00", "2024-01-02T00:00"]],
    ["@daily", { endDate: "2024-01-02" }, "2024-01-02T00:00:00Z", "2024-02-01T00:00:00Z", 100, []],
    // a last run before startDate does not pull in older intervals
    ["@daily", { startDate: "2024-01-03" }, "2023-06-01T00:00:00Z", "2024-01-05T00:00:00Z", 100, ["2024-01-03T00:00", "2024-01-04T00:00"]],
    // startDate in the future
    ["@daily", { startDate: "2025-01-01" }, null, "2024-06-01T00:00:00Z", 100, []],
    ["@monthly", {}, null, "2024-04-15T00:00:00Z", 100, ["2024-01-01T00:00", "2024-02-01T00:00", "2024-03-01T00:00"]],
    ["*/15 * * * *", {}, "2024-01-01T00:00:00Z", "2024-01-01T01:05:00Z", 100, ["2024-01-01T00:15", "2024-01-01T00:30", "2024-01-01T00:45"]],
  ])("%s %j after %s at %s (limit %i)", (schedule, over, last, now, limit, expected) => {
    expect(due(compile(schedule, over), last, now, limit)).toEqual(expected);
  });

  it("creates every missed hour of a day, contiguous", () => {
    const got = dueIntervals(compile("@hourly"), { lastLogicalDate: null, now: d("2024-01-02T00:00:00Z"), limit: 1000 });
    expect(got).toHaveLength(24);
    for (let i = 1; i < got.length; i++) expect(got[i]?.start).toEqual(got[i - 1]?.end);
    expect(got.at(-1)?.end).toEqual(d("2024-01-02T00:00:00Z"));
  });
});

describe("dueIntervals without catchup: only the latest closed interval", () => {
  const noCatchup = { catchup: false };
  it.each<[string, Partial<ScheduleSpec>, string | null, string, string[]]>([
    ["@daily", noCatchup, null, "2024-01-10T05:00:00Z", ["2024-01-09T00:00"]],
    ["@daily", noCatchup, null, "2024-01-10T00:00:00Z", ["2024-01-09T00:00"]],
    ["@daily", noCatchup, "2024-01-05T00:00:00Z", "2024-01-10T05:00:00Z", ["2024-01-09T00:00"]],
    ["@daily", noCatchup, "2024-01-09T00:00:00Z", "2024-01-10T05:00:00Z", []],
    // a run newer than the latest closed interval (e.g. made by a backfill) blocks it
    ["@daily", noCatchup, "2024-01-12T00:00:00Z", "2024-01-10T05:00:00Z", []],
    // nothing closed yet
    ["@daily", noCatchup, null, "2024-01-01T23:00:00Z", []],
    ["@daily", noCatchup, null, "2024-01-02T00:00:00Z", ["2024-01-01T00:00"]],
    // endDate: the latest closed interval that starts by endDate
    ["@daily", { ...noCatchup, endDate: "2024-01-03" }, null, "2024-02-01T00:00:00Z", ["2024-01-03T00:00"]],
    ["@daily", { ...noCatchup, endDate: "2024-01-03" }, "2024-01-03T00:00:00Z", "2024-02-01T00:00:00Z", []],
    ["@daily", { ...noCatchup, startDate: "2024-01-05T12:00:00Z", endDate: "2024-01-05T18:00:00Z" }, null, "2024-02-01T00:00:00Z", []],
    ["@daily", { ...noCatchup, startDate: "2025-01-01" }, null, "2024-06-01T00:00:00Z", []],
    ["@hourly", noCatchup, null, "2024-03-01T10:30:00Z", ["2024-03-01T09:00"]],
    ["30 6 * * 1-5", noCatchup, null, "2024-01-08T06:00:00Z", ["2024-01-04T06:30"]],
    ["30 6 * * 1-5", noCatchup, null, "2024-01-08T06:30:00Z", ["2024-01-05T06:30"]],
  ])("%s %j after %s at %s", (schedule, over, last, now, expected) => {
    expect(due(compile(schedule, over), last, now)).toEqual(expected);
  });

  it("returns the interval's real end", () => {
    const [only] = dueIntervals(compile("@weekly", { catchup: false }), { lastLogicalDate: null, now: d("2024-03-01T00:00:00Z"), limit: 5 });
    expect(only?.start).toEqual(d("2024-02-18T00:00:00Z"));
    expect(only?.end).toEqual(d("2024-02-25T00:00:00Z"));
  });

  it("honours limit 0", () => {
    expect(due(compile("@daily", { catchup: false }), null, "2024-01-10T00:00:00Z", 0)).toEqual([]);
  });
});

describe("dueIntervals: @once and manual", () => {
  const once = (catchup: boolean) => compile("@once", { startDate: "2024-05-01T10:00:00Z", catchup });
  it.each([true, false])("@once (catchup %s) is due once now >= startDate, and only once", (catchup) => {
    expect(due(once(catchup), null, "2024-05-01T09:59:59Z")).toEqual([]);
    const [run] = dueIntervals(once(catchup), { lastLogicalDate: null, now: d("2024-05-01T10:00:00Z"), limit: 10 });
    expect(run).toEqual({ start: d("2024-05-01T10:00:00Z"), end: d("2024-05-01T10:00:00Z") });
    expect(due(once(catchup), "2024-05-01T10:00:00Z", "2030-01-01T00:00:00Z")).toEqual([]);
  });

  it("manual-only is never due", () => {
    expect(due(compile(null, { startDate: null }), null, "2030-01-01T00:00:00Z")).toEqual([]);
  });

  it("rejects a bad limit or date", () => {
    expect(() => due(compile("@daily"), null, "2024-02-01T00:00:00Z", -1)).toThrow(ScheduleError);
    expect(() => dueIntervals(compile("@daily"), { lastLogicalDate: null, now: new Date(Number.NaN), limit: 1 })).toThrow(/now is not a valid date/);
  });
});
