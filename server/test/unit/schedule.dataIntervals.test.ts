import { describe, expect, it } from "vitest";
import {
  ScheduleError,
  compileSchedule,
  inferManualInterval,
  intervalForLogicalDate,
  intervalsInRange,
  nextInterval,
  parseDateInZone,
  type DataInterval,
  type ScheduleSpec,
} from "../../src/schedule/index";

const compile = (schedule: string | null, over: Partial<ScheduleSpec> = {}) =>
  compileSchedule({ schedule, timezone: "UTC", startDate: "2024-01-01", endDate: null, catchup: true, ...over });
const d = (iso: string): Date => new Date(iso);
const pair = (i: DataInterval | null): [string, string] | null => (i === null ? null : [i.start.toISOString(), i.end.toISOString()]);
const starts = (list: DataInterval[]): string[] => list.map((i) => i.start.toISOString().replace(":00.000Z", "Z"));
const DAY = 86_400_000;

describe("intervalForLogicalDate", () => {
  it.each<[string, string, string | null]>([
    // presets
    ["@daily", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00.000Z"],
    ["@daily", "2024-01-01T00:00:00.001Z", null],
    ["@daily", "2024-01-01T12:00:00Z", null],
    ["@hourly", "2024-01-01T05:00:00Z", "2024-01-01T06:00:00.000Z"],
    ["@hourly", "2024-01-01T23:00:00Z", "2024-01-02T00:00:00.000Z"],
    ["@hourly", "2024-01-01T05:30:00Z", null],
    ["@weekly", "2024-01-07T00:00:00Z", "2024-01-14T00:00:00.000Z"],
    ["@weekly", "2024-01-08T00:00:00Z", null],
    ["@monthly", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00.000Z"],
    ["@monthly", "2024-01-15T00:00:00Z", null],
    ["@quarterly", "2024-01-01T00:00:00Z", "2024-04-01T00:00:00.000Z"],
    ["@quarterly", "2024-02-01T00:00:00Z", null],
    ["@yearly", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00.000Z"],
    ["@yearly", "2024-02-01T00:00:00Z", null],
    // every 15 minutes
    ["*/15 * * * *", "2024-01-01T00:45:00Z", "2024-01-01T01:00:00.000Z"],
    ["*/15 * * * *", "2024-01-01T00:50:00Z", null],
    ["*/15 * * * *", "2024-12-31T23:45:00Z", "2025-01-01T00:00:00.000Z"],
    // weekdays: Friday's interval runs to Monday
    ["30 6 * * 1-5", "2024-01-05T06:30:00Z", "2024-01-08T06:30:00.000Z"],
    ["30 6 * * 1-5", "2024-01-06T06:30:00Z", null],
    // day 31 only exists in some months; L is the last day of each month
    ["0 0 31 * *", "2024-01-31T00:00:00Z", "2024-03-31T00:00:00.000Z"],
    ["0 0 L * *", "2024-01-31T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["0 0 L * *", "2023-01-31T00:00:00Z", "2023-02-28T00:00:00.000Z"],
    ["0 0 29 2 *", "2024-02-29T00:00:00Z", "2028-02-29T00:00:00.000Z"],
    // day-of-month and day-of-week both set: either matches (Vixie cron)
    ["0 0 1 * 1", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00.000Z"],
    ["0 0 1 * 1", "2024-01-29T00:00:00Z", "2024-02-01T00:00:00.000Z"],
  ])("%s at %s ends at %s", (schedule, logical, end) => {
    const got = intervalForLogicalDate(compile(schedule), d(logical));
    expect(pair(got)).toEqual(end === null ? null : [d(logical).toISOString(), end]);
  });

  it.each([
    ["2024-01-01", 31], ["2024-02-01", 29], ["2023-02-01", 28], ["2024-04-01", 30], ["2024-12-01", 31],
  ])("@monthly from %s lasts %i days", (month, days) => {
    const got = intervalForLogicalDate(compile("@monthly"), d(`${month}T00:00:00Z`));
    expect(got && (got.end.getTime() - got.start.getTime()) / DAY).toBe(days);
  });

  it("reads the cron in the DAG timezone", () => {
    const s = compile("@daily", { timezone: "Europe/Berlin" });
    expect(pair(intervalForLogicalDate(s, d("2023-12-31T23:00:00Z")))).toEqual(["2023-12-31T23:00:00.000Z", "2024-01-01T23:00:00.000Z"]);
    expect(intervalForLogicalDate(s, d("2024-01-01T00:00:00Z"))).toBeNull();
  });

  it("ignores startDate and endDate (backfills and manual runs may lie outside)", () => {
    const s = compile("@daily", { startDate: "2024-06-01", endDate: "2024-06-30" });
    expect(pair(intervalForLogicalDate(s, d("2020-01-01T00:00:00Z")))).toEqual(["2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z"]);
  });

  it("@once has one zero-length interval at startDate; manual has none", () => {
    const once = compile("@once", { startDate: "2024-05-01T10:00:00Z" });
    expect(pair(intervalForLogicalDate(once, d("2024-05-01T10:00:00Z")))).toEqual(["2024-05-01T10:00:00.000Z", "2024-05-01T10:00:00.000Z"]);
    expect(intervalForLogicalDate(once, d("2024-05-02T10:00:00Z"))).toBeNull();
    expect(intervalForLogicalDate(compile(null), d("2024-01-01T00:00:00Z"))).toBeNull();
  });

  it("works on a schedule rebuilt from storage, and validates its cron", () => {
    const stored = JSON.parse(JSON.stringify(compile("@daily"))) as { spec: ScheduleSpec; cron: string; timezone: string };
    const rebuilt = { ...stored, startDate: d("2024-01-01T00:00:00Z"), endDate: null };
    expect(nextInterval(rebuilt, null)?.end).toEqual(d("2024-01-02T00:00:00Z"));
    expect(() => nextInterval({ ...rebuilt, cron: "61 * * * *" }, null)).toThrow(ScheduleError);
  });

  it("rejects an invalid Date with a ScheduleError", () => {
    expect(() => intervalForLogicalDate(compile("@daily"), new Date(Number.NaN))).toThrow(/logicalDate is not a valid date/);
  });
});

describe("nextInterval", () => {
  it.each<[string, Partial<ScheduleSpec>, string | null, string | null]>([
    ["@daily", {}, null, "2024-01-01T00:00:00.000Z"],
    ["@daily", {}, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00.000Z"],
    ["@daily", {}, "2024-01-01T12:00:00Z", "2024-01-02T00:00:00.000Z"],
    ["@daily", {}, "2023-06-01T00:00:00Z", "2024-01-01T00:00:00.000Z"],
    // startDate off the schedule: the first fire time at or after it
    ["0 6 * * *", { startDate: "2024-01-01T07:00:00Z" }, null, "2024-01-02T06:00:00.000Z"],
    ["0 6 * * *", { startDate: "2024-01-01T06:00:00Z" }, null, "2024-01-01T06:00:00.000Z"],
    ["@weekly", {}, null, "2024-01-07T00:00:00.000Z"],
    ["@monthly", { startDate: "2024-01-02" }, null, "2024-02-01T00:00:00.000Z"],
    // endDate is inclusive on the logical date
    ["@daily", { endDate: "2024-01-03" }, "2024-01-02T00:00:00Z", "2024-01-03T00:00:00.000Z"],
    ["@daily", { endDate: "2024-01-03" }, "2024-01-03T00:00:00Z", null],
    ["@daily", { endDate: "2024-01-02T12:00:00Z" }, "2024-01-02T00:00:00Z", null],
    ["@daily", { startDate: "2024-01-01T01:00:00Z", endDate: "2024-01-01T23:00:00Z" }, null, null],
  ])("%s %j after %s starts at %s", (schedule, over, after, start) => {
    const got = nextInterval(compile(schedule, over), after === null ? null : d(after));
    expect(got?.start.toISOString() ?? null).toBe(start);
    if (got !== null) expect(intervalForLogicalDate(compile(schedule, over), got.start)?.end).toEqual(got.end);
  });

  it("the interval past endDate still ends at the next fire time", () => {
    const got = nextInterval(compile("@daily", { endDate: "2024-01-03T00:00:00Z" }), d("2024-01-02T00:00:00Z"));
    expect(pair(got)).toEqual(["2024-01-03T00:00:00.000Z", "2024-01-04T00:00:00.000Z"]);
  });

  it("@once yields its interval until it is done; manual yields nothing", () => {
    const once = compile("@once", { startDate: "2024-05-01" });
    expect(pair(nextInterval(once, null))).toEqual(["2024-05-01T00:00:00.000Z", "2024-05-01T00:00:00.000Z"]);
    expect(pair(nextInterval(once, d("2024-04-01T00:00:00Z")))).toEqual(["2024-05-01T00:00:00.000Z", "2024-05-01T00:00:00.000Z"]);
    expect(nextInterval(once, d("2024-05-01T00:00:00Z"))).toBeNull();
    expect(nextInterval(compile(null), null)).toBeNull();
  });
});

describe("intervalsInRange", () => {
  it.each<[string, Partial<ScheduleSpec>, string, string, string[]]>([
    // closed at both ends
    ["@daily", {}, "2024-01-02T00:00:00Z", "2024-01-05T00:00:00Z", ["2024-01-02T00:00Z", "2024-01-03T00:00Z", "2024-01-04T00:00Z", "2024-01-05T00:00Z"]],
    ["@daily", {}, "2024-01-02T00:00:01Z", "2024-01-04T23:59:59Z", ["2024-01-03T00:00Z", "2024-01-04T00:00Z"]],
    ["@daily", {}, "2024-01-03T00:00:00Z", "2024-01-03T00:00:00Z", ["2024-01-03T00:00Z"]],
    ["@daily", {}, "2024-01-03T00:00:01Z", "2024-01-03T23:00:00Z", []],
    ["@daily", {}, "2024-01-05T00:00:00Z", "2024-01-02T00:00:00Z", []],
    // clipped to startDate and endDate
    ["@daily", { startDate: "2024-01-03" }, "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z", ["2024-01-03T00:00Z", "2024-01-04T00:00Z", "2024-01-05T00:00Z"]],
    ["@daily", { endDate: "2024-01-02" }, "2023-12-01T00:00:00Z", "2024-01-05T00:00:00Z", ["2024-01-01T00:00Z", "2024-01-02T00:00Z"]],
    ["@daily", { endDate: "2024-01-02" }, "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", []],
    ["*/15 * * * *", {}, "2024-01-01T00:10:00Z", "2024-01-01T01:00:00Z", ["2024-01-01T00:15Z", "2024-01-01T00:30Z", "2024-01-01T00:45Z", "2024-01-01T01:00Z"]],
    ["@weekly", {}, "2024-01-01T00:00:00Z", "2024-01-31T00:00:00Z", ["2024-01-07T00:00Z", "2024-01-14T00:00Z", "2024-01-21T00:00Z", "2024-01-28T00:00Z"]],
    ["@monthly", {}, "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z", ["2024-01-01T00:00Z", "2024-02-01T00:00Z", "2024-03-01T00:00Z", "2024-04-01T00:00Z"]],
  ])("%s %j from %s to %s", (schedule, over, from, to, expected) => {
    expect(starts(intervalsInRange(compile(schedule, over), d(from), d(to)))).toEqual(expected);
  });

  it("a date-only bound read with parseDateInZone is local midnight, so that day's interval is included", () => {
    const tz = "America/New_York";
    const s = compile("@daily", { timezone: tz });
    const got = intervalsInRange(s, parseDateInZone("2024-01-02", tz), parseDateInZone("2024-01-04", tz));
    expect(starts(got)).toEqual(["2024-01-02T05:00Z", "2024-01-03T05:00Z", "2024-01-04T05:00Z"]);
  });

  it("returns contiguous intervals: each ends where the next starts", () => {
    const got = intervalsInRange(compile("0 9,17 * * 1-5"), d("2024-01-01T00:00:00Z"), d("2024-01-31T00:00:00Z"));
    expect(got).toHaveLength(44);
    for (let i = 1; i < got.length; i++) expect(got[i]?.start).toEqual(got[i - 1]?.end);
  });

  it("allows exactly `limit` intervals and throws ScheduleError above it", () => {
    const s = compile("@hourly");
    const from = d("2024-01-01T00:00:00Z");
    const to = d("2024-01-02T00:00:00Z");
    expect(intervalsInRange(s, from, to, 25)).toHaveLength(25);
    expect(() => intervalsInRange(s, from, to, 24)).toThrow(ScheduleError);
    expect(() => intervalsInRange(s, from, to, 24)).toThrow(/holds more than 24 intervals/);
  });

  it("defaults the limit to 100000", () => {
    const s = compile("* * * * *");
    // 70 days of minutes = 100800 intervals.
    expect(() => intervalsInRange(s, d("2024-01-01T00:00:00Z"), d("2024-03-10T23:59:00Z"))).toThrow(/more than 100000 intervals/);
  });

  it.each([-1, 1.5, Number.NaN])("rejects limit %s", (limit) => {
    expect(() => intervalsInRange(compile("@daily"), d("2024-01-01T00:00:00Z"), d("2024-01-02T00:00:00Z"), limit)).toThrow(/limit must be a non-negative integer/);
  });

  it("@once appears only when startDate is in range; manual never", () => {
    const once = compile("@once", { startDate: "2024-05-01" });
    expect(starts(intervalsInRange(once, d("2024-05-01T00:00:00Z"), d("2024-05-01T00:00:00Z")))).toEqual(["2024-05-01T00:00Z"]);
    expect(intervalsInRange(once, d("2024-05-01T00:00:01Z"), d("2024-06-01T00:00:00Z"))).toEqual([]);
    expect(() => intervalsInRange(once, d("2024-01-01T00:00:00Z"), d("2024-06-01T00:00:00Z"), 0)).toThrow(ScheduleError);
    expect(intervalsInRange(compile(null), d("2024-01-01T00:00:00Z"), d("2024-06-01T00:00:00Z"))).toEqual([]);
  });
});

describe("inferManualInterval", () => {
  it.each<[string | null, string, [string, string]]>([
    [null, "2024-01-05T12:34:00Z", ["2024-01-05T12:34:00.000Z", "2024-01-05T12:34:00.000Z"]],
    ["@once", "2024-01-05T12:34:00Z", ["2024-01-05T12:34:00.000Z", "2024-01-05T12:34:00.000Z"]],
    ["@daily", "2024-01-05T00:00:00Z", ["2024-01-05T00:00:00.000Z", "2024-01-06T00:00:00.000Z"]],
    ["@daily", "2024-01-05T12:34:00Z", ["2024-01-05T00:00:00.000Z", "2024-01-06T00:00:00.000Z"]],
    ["@hourly", "2024-01-05T10:30:00Z", ["2024-01-05T10:00:00.000Z", "2024-01-05T11:00:00.000Z"]],
    ["30 6 * * 1-5", "2024-01-06T12:00:00Z", ["2024-01-05T06:30:00.000Z", "2024-01-08T06:30:00.000Z"]],
    // before startDate is fine: a manual run may be for any date
    ["@daily", "2020-02-29T08:00:00Z", ["2020-02-29T00:00:00.000Z", "2020-03-01T00:00:00.000Z"]],
  ])("%s at %s", (schedule, logical, expected) => {
    expect(pair(inferManualInterval(compile(schedule), d(logical)))).toEqual(expected);
  });
});
