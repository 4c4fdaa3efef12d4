import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import {
  compileSchedule,
  dueIntervals,
  formatDs,
  inferManualInterval,
  intervalForLogicalDate,
  intervalsInRange,
  parseDateInZone,
  partitionKey,
  type DataInterval,
} from "../../src/schedule/index";

const compile = (schedule: string, timezone: string, startDate = "2024-01-01") =>
  compileSchedule({ schedule, timezone, startDate, endDate: null, catchup: true });
const d = (iso: string): Date => new Date(iso);
const hours = (i: DataInterval): number => (i.end.getTime() - i.start.getTime()) / 3_600_000;
/** The intervals whose logical date falls on local calendar days `from`..`to` (inclusive). */
const localDays = (schedule: string, tz: string, from: string, to: string): DataInterval[] => {
  // Up to the end of `to`: a day and a few hours later, then keep the logical dates still on `to`.
  const end = new Date(parseDateInZone(to, tz).getTime() + 27 * 3_600_000);
  const list = intervalsInRange(compile(schedule, tz), parseDateInZone(from, tz), end);
  return list.filter((i) => formatDs(i.start, tz) <= to);
};
const summary = (list: DataInterval[], tz: string): string[] => list.map((i) => `${partitionKey(i, tz)} ${hours(i)}h`);

describe("@daily across DST: each interval starts at local midnight and lasts 23h or 25h", () => {
  it.each<[string, string, string, string[]]>([
    ["America/New_York", "2024-03-09", "2024-03-11", ["2024-03-09 24h", "2024-03-10 23h", "2024-03-11 24h"]],
    ["America/New_York", "2024-11-02", "2024-11-04", ["2024-11-02 24h", "2024-11-03 25h", "2024-11-04 24h"]],
    ["Europe/Berlin", "2024-03-30", "2024-04-01", ["2024-03-30 24h", "2024-03-31 23h", "2024-04-01 24h"]],
    ["Europe/Berlin", "2024-10-26", "2024-10-28", ["2024-10-26 24h", "2024-10-27 25h", "2024-10-28 24h"]],
    // southern hemisphere: Sydney falls back in April and springs forward in October
    ["Australia/Sydney", "2024-04-06", "2024-04-07", ["2024-04-06 24h", "2024-04-07 25h"]],
    ["Australia/Sydney", "2024-10-06", "2024-10-07", ["2024-10-06 23h", "2024-10-07 24h"]],
  ])("%s %s..%s", (tz, from, to, expected) => {
    expect(summary(localDays("@daily", tz, from, to), tz)).toEqual(expected);
  });

  it("New York: the 23h interval is [03-10 05:00Z, 03-11 04:00Z)", () => {
    const s = compile("@daily", "America/New_York");
    const i = intervalForLogicalDate(s, d("2024-03-10T05:00:00Z"));
    expect(i).toEqual({ start: d("2024-03-10T05:00:00Z"), end: d("2024-03-11T04:00:00Z") });
  });

  it("midnight skipped by DST (Havana) moves to 01:00 that day, still partition 2024-03-10", () => {
    const tz = "America/Havana";
    const list = localDays("@daily", tz, "2024-03-09", "2024-03-11");
    expect(summary(list, tz)).toEqual(["2024-03-09 24h", "2024-03-10 23h", "2024-03-11 24h"]);
    expect(list[1]?.start).toEqual(d("2024-03-10T05:00:00Z"));
  });
});

describe("hourly across DST keeps one interval per real hour", () => {
  it.each<[string, string, number]>([
    ["America/New_York", "2024-03-10", 23],
    ["America/New_York", "2024-11-03", 25],
    ["Europe/Berlin", "2024-03-31", 23],
    ["Europe/Berlin", "2024-10-27", 25],
  ])("%s on %s has %i hourly intervals of 1h", (tz, day, count) => {
    const list = localDays("@hourly", tz, day, day);
    expect(list).toHaveLength(count);
    expect(list.every((i) => hours(i) === 1)).toBe(true);
    expect(new Set(list.map((i) => partitionKey(i, tz))).size).toBe(count);
  });

  it("New York autumn: 01:00 happens twice, both are runs", () => {
    const list = localDays("@hourly", "America/New_York", "2024-11-03", "2024-11-03");
    expect(list.slice(0, 4).map((i) => partitionKey(i, "America/New_York"))).toEqual([
      "2024-11-03", "2024-11-03T01:00-04:00", "2024-11-03T01:00-05:00", "2024-11-03T02:00",
    ]);
  });

  it("every 15 minutes stays 15 minutes through Berlin's spring gap", () => {
    const s = compile("*/15 * * * *", "Europe/Berlin");
    const list = intervalsInRange(s, d("2024-03-31T00:30:00Z"), d("2024-03-31T01:30:00Z"));
    expect(list.map((i) => partitionKey(i, "Europe/Berlin"))).toEqual([
      "2024-03-31T01:30", "2024-03-31T01:45", "2024-03-31T03:00", "2024-03-31T03:15", "2024-03-31T03:30",
    ]);
    expect(list.every((i) => hours(i) === 0.25)).toBe(true);
  });
});

describe("fixed-time crons across DST run once a day", () => {
  it.each<[string, string, string, string, string[]]>([
    // 02:30 does not exist on spring-forward day: runs at 03:30 (moved by the 1h gap)
    ["30 2 * * *", "America/New_York", "2024-03-09", "2024-03-11", ["2024-03-09T02:30 24h", "2024-03-10T03:30 23h", "2024-03-11T02:30 24h"]],
    ["30 2 * * *", "Europe/Berlin", "2024-03-30", "2024-04-01", ["2024-03-30T02:30 24h", "2024-03-31T03:30 23h", "2024-04-01T02:30 24h"]],
    // 02:00 in Berlin's gap: runs at 03:00 CEST (= 01:00Z)
    ["0 2 * * *", "Europe/Berlin", "2024-03-30", "2024-04-01", ["2024-03-30T02:00 24h", "2024-03-31T03:00 23h", "2024-04-01T02:00 24h"]],
    // a repeated time runs at its second occurrence only (Airflow's fold=1): the day before is 25h
    ["30 2 * * *", "Europe/Berlin", "2024-10-26", "2024-10-28", ["2024-10-26T02:30 25h", "2024-10-27T02:30+01:00 24h", "2024-10-28T02:30 24h"]],
    ["30 1 * * *", "America/New_York", "2024-11-02", "2024-11-04", ["2024-11-02T01:30 25h", "2024-11-03T01:30-05:00 24h", "2024-11-04T01:30 24h"]],
    // 02:30 on New York's autumn day is not repeated (01:00-01:59 is): an ordinary day of 25h
    ["30 2 * * *", "America/New_York", "2024-11-02", "2024-11-03", ["2024-11-02T02:30 25h", "2024-11-03T02:30 24h"]],
    // Lord Howe changes by 30 minutes: 02:15 moves to 02:45
    ["15 2 * * *", "Australia/Lord_Howe", "2024-10-05", "2024-10-07", ["2024-10-05T02:15 24h", "2024-10-06T02:45 23.5h", "2024-10-07T02:15 24h"]],
  ])("%s in %s, %s..%s", (cron, tz, from, to, expected) => {
    expect(summary(localDays(cron, tz, from, to), tz)).toEqual(expected);
  });

  it("Berlin 0 2 * * * on spring-forward day: the exact instants", () => {
    const s = compile("0 2 * * *", "Europe/Berlin");
    expect(intervalForLogicalDate(s, d("2024-03-31T01:00:00Z"))).toEqual({ start: d("2024-03-31T01:00:00Z"), end: d("2024-04-01T00:00:00Z") });
    // 02:00 CET would be 01:00Z as well; 00:00Z (01:00 CET) is not a fire time
    expect(intervalForLogicalDate(s, d("2024-03-31T00:00:00Z"))).toBeNull();
  });

  it("the first 02:30 of Berlin's autumn day is not a fire time; the second is", () => {
    const s = compile("30 2 * * *", "Europe/Berlin");
    expect(intervalForLogicalDate(s, d("2024-10-27T00:30:00Z"))).toBeNull();
    expect(intervalForLogicalDate(s, d("2024-10-27T01:30:00Z"))).toEqual({ start: d("2024-10-27T01:30:00Z"), end: d("2024-10-28T01:30:00Z") });
    expect(inferManualInterval(s, d("2024-10-27T00:30:00Z"))).toEqual({ start: d("2024-10-26T00:30:00Z"), end: d("2024-10-27T01:30:00Z") });
  });
});

describe("fire times agree in every direction across DST changes", () => {
  // For every 5-minute instant in a window, the interval inferred around it must be made of
  // the neighbouring fire times of the forward sequence, and only those are logical dates.
  it.each<[string, string, string, string]>([
    ["30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z"],
    ["30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z", "2024-03-31T12:00:00Z"],
    ["0 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z", "2024-03-31T12:00:00Z"],
    ["30 1 * * *", "America/New_York", "2024-11-02T18:00:00Z", "2024-11-03T18:00:00Z"],
    ["0 * * * *", "America/New_York", "2024-11-03T00:00:00Z", "2024-11-03T12:00:00Z"],
    ["*/20 1-3 * * *", "Europe/Berlin", "2024-03-30T20:00:00Z", "2024-03-31T06:00:00Z"],
    ["15 2 * * *", "Australia/Lord_Howe", "2024-10-05T00:00:00Z", "2024-10-06T12:00:00Z"],
  ])("%s in %s", (cron, tz, from, to) => {
    const s = compile(cron, tz);
    const lo = d(from).getTime();
    const hi = d(to).getTime();
    const seq = intervalsInRange(s, new Date(lo - 3 * 86_400_000), new Date(hi + 3 * 86_400_000)).map((i) => i.start.getTime());
    for (let t = lo; t <= hi; t += 5 * 60_000) {
      const prev = seq.filter((f) => f <= t).at(-1);
      const next = seq.find((f) => f > t);
      expect(inferManualInterval(s, new Date(t))).toEqual({ start: new Date(prev ?? NaN), end: new Date(next ?? NaN) });
      expect(intervalForLogicalDate(s, new Date(t)) !== null).toBe(seq.includes(t));
    }
  });

  it.each<[string, string, string]>([
    ["30 2 * * *", "Europe/Berlin", "2024-03-25T00:00:00Z"],
    // Not across the autumn change: cron-parser takes a repeated time's first occurrence,
    // Runnel (as Airflow) its second (schedule.airflowParity.test.ts).
    ["30 2 * * *", "Europe/Berlin", "2024-10-28T00:00:00Z"],
    ["0 2 * * *", "Europe/Berlin", "2024-03-25T00:00:00Z"],
    ["0 0 * * *", "America/New_York", "2024-03-05T00:00:00Z"],
    ["0 * * * *", "Europe/Berlin", "2024-10-26T12:00:00Z"],
  ])("%s in %s matches cron-parser's forward iteration from %s", (cron, tz, from) => {
    const it = CronExpressionParser.parse(cron, { tz, currentDate: d(from) });
    const theirs = Array.from({ length: 30 }, () => it.next().toDate().toISOString());
    // cron-parser's next() is strictly after `from`; the range is closed, so start 1ms later.
    const ours = intervalsInRange(compile(cron, tz, "2024-01-01"), new Date(d(from).getTime() + 1), d("2025-01-01T00:00:00Z"), 100_000)
      .slice(0, 30)
      .map((i) => i.start.toISOString());
    expect(ours).toEqual(theirs);
  });
});

describe("scheduling across DST", () => {
  it("catchup over New York's spring change creates one run per local day", () => {
    const s = compile("@daily", "America/New_York", "2024-03-08");
    const got = dueIntervals(s, { lastLogicalDate: null, now: d("2024-03-12T12:00:00Z"), limit: 100 });
    expect(got.map((i) => formatDs(i.start, "America/New_York"))).toEqual(["2024-03-08", "2024-03-09", "2024-03-10", "2024-03-11"]);
    expect(got.map(hours)).toEqual([24, 24, 23, 24]);
  });

  it("the 25h interval becomes due only at the next local midnight", () => {
    const s = compileSchedule({ schedule: "@daily", timezone: "America/New_York", startDate: "2024-11-01", endDate: null, catchup: false });
    const at = (now: string) => dueIntervals(s, { lastLogicalDate: null, now: d(now), limit: 1 }).map((i) => formatDs(i.start, "America/New_York"));
    expect(at("2024-11-04T04:59:59Z")).toEqual(["2024-11-02"]);
    expect(at("2024-11-04T05:00:00Z")).toEqual(["2024-11-03"]);
  });
});
