import { describe, expect, it } from "vitest";
import {
  compileSchedule,
  dueIntervals,
  intervalForLogicalDate,
  intervalsInRange,
  parseDateInZone,
} from "../../src/schedule/index";

/*
 * Where cron-parser and Airflow's CronDataIntervalTimetable (croniter + pendulum, Airflow 2.8+)
 * disagree, Runnel follows Airflow: (a) a wall time that a DST fall-back repeats is its second
 * occurrence (`make_aware` sets fold=1); (b) a day field covering every value is `*`, so the
 * day-of-month OR day-of-week rule does not apply.
 */

const compile = (schedule: string, timezone: string, startDate = "2024-01-01") =>
  compileSchedule({ schedule, timezone, startDate, endDate: null, catchup: true });
const d = (iso: string): Date => new Date(iso);
const starts = (schedule: string, tz: string, from: string, to: string): string[] =>
  intervalsInRange(compile(schedule, tz), d(from), d(to)).map((i) => i.start.toISOString());

describe("(a) a repeated wall time is its second occurrence (fold=1)", () => {
  it.each<[string, string, string, string, string[]]>([
    // the case: 01:30 EST, not 01:30 EDT (05:30Z)
    ["30 1 * * *", "America/New_York", "2024-11-02T00:00:00Z", "2024-11-04T12:00:00Z", ["2024-11-02T05:30:00.000Z", "2024-11-03T06:30:00.000Z", "2024-11-04T06:30:00.000Z"]],
    ["0 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", "2024-11-03T12:00:00Z", ["2024-11-03T06:00:00.000Z"]],
    ["59 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", "2024-11-03T12:00:00Z", ["2024-11-03T06:59:00.000Z"]],
    ["15 1 * * 0", "America/New_York", "2024-10-27T12:00:00Z", "2024-11-10T12:00:00Z", ["2024-11-03T06:15:00.000Z", "2024-11-10T06:15:00.000Z"]],
    ["30 2 * * *", "Europe/Berlin", "2024-10-26T00:00:00Z", "2024-10-28T12:00:00Z", ["2024-10-26T00:30:00.000Z", "2024-10-27T01:30:00.000Z", "2024-10-28T01:30:00.000Z"]],
    // southern hemisphere: Sydney repeats 02:00-02:59 on 2024-04-07 (AEDT +11 -> AEST +10)
    ["30 2 * * *", "Australia/Sydney", "2024-04-05T12:00:00Z", "2024-04-07T12:00:00Z", ["2024-04-05T15:30:00.000Z", "2024-04-06T16:30:00.000Z"]],
    // Lord Howe goes back by 30 minutes (+11 -> +10:30): 01:30-01:59 is repeated
    ["45 1 * * *", "Australia/Lord_Howe", "2024-04-05T12:00:00Z", "2024-04-06T18:00:00Z", ["2024-04-05T14:45:00.000Z", "2024-04-06T15:15:00.000Z"]],
    // unchanged: a skipped time still moves forward by the gap (fold=1 in the gap: 02:30 -> 03:30 EDT)
    ["30 2 * * *", "America/New_York", "2024-03-09T00:00:00Z", "2024-03-11T12:00:00Z", ["2024-03-09T07:30:00.000Z", "2024-03-10T07:30:00.000Z", "2024-03-11T06:30:00.000Z"]],
  ])("%s in %s from %s to %s", (cron, tz, from, to, expected) => {
    expect(starts(cron, tz, from, to)).toEqual(expected);
  });

  it("the first occurrence is not a logical date; the interval before it lasts 25h", () => {
    const s = compile("30 1 * * *", "America/New_York");
    expect(intervalForLogicalDate(s, d("2024-11-03T05:30:00Z"))).toBeNull();
    expect(intervalForLogicalDate(s, d("2024-11-02T05:30:00Z"))).toEqual({ start: d("2024-11-02T05:30:00Z"), end: d("2024-11-03T06:30:00Z") });
  });

  it("run creation: the interval of 11-02 becomes due at 06:30Z, not 05:30Z", () => {
    const s = compileSchedule({ schedule: "30 1 * * *", timezone: "America/New_York", startDate: "2024-11-01", endDate: null, catchup: true });
    const due = (now: string) => dueIntervals(s, { lastLogicalDate: d("2024-11-01T05:30:00Z"), now: d(now), limit: 10 }).map((i) => i.start.toISOString());
    expect(due("2024-11-03T06:29:59Z")).toEqual([]);
    expect(due("2024-11-03T06:30:00Z")).toEqual(["2024-11-02T05:30:00.000Z"]);
  });

  it.each<[string, string, string]>([
    ["2024-11-03T01:30", "America/New_York", "2024-11-03T06:30:00.000Z"],
    ["2024-10-27T02:00", "Europe/Berlin", "2024-10-27T01:00:00.000Z"],
    ["2024-04-07T02:15", "Australia/Sydney", "2024-04-06T16:15:00.000Z"],
  ])("a date a person writes, %s in %s, is %s", (text, tz, iso) => {
    expect(parseDateInZone(text, tz).toISOString()).toBe(iso);
  });
});

describe("(b) a day field covering every value is * (croniter)", () => {
  const MONDAYS = ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29", "2024-02-05"];
  const FIFTEENTHS = ["2024-01-15", "2024-02-15", "2024-03-15", "2024-04-15", "2024-05-15", "2024-06-15"];
  const EVERY_DAY = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06"];
  it.each<[string, string[]]>([
    ["0 0 1-31 * 1", MONDAYS],
    ["0 0 */1 * 1", MONDAYS],
    ["0 0 1-31 * mon", MONDAYS],
    ["0 0 1-15,16-31 * 1", MONDAYS],
    ["0 0 15 * 0-6", FIFTEENTHS],
    ["0 0 15 * 1-7", FIFTEENTHS],
    ["0 0 15 * 0-7", FIFTEENTHS],
    ["0 0 15 * */1", FIFTEENTHS],
    ["0 0 15 * sun-sat", FIFTEENTHS],
    ["0 0 1-31 * 0-6", EVERY_DAY],
    // restricted on both sides: still day-of-month OR day-of-week
    ["0 0 1,15 * 1", ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29", "2024-02-01"]],
    ["0 0 1-30 * 3", ["2024-01-29", "2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02", "2024-02-03"]],
  ])("%s", (cron, expected) => {
    const from = cron === "0 0 1-30 * 3" ? "2024-01-29T00:00:00Z" : "2024-01-01T00:00:00Z";
    const got = intervalsInRange(compile(cron, "UTC"), d(from), d("2024-12-31T00:00:00Z")).slice(0, 6);
    expect(got.map((i) => i.start.toISOString().slice(0, 10))).toEqual(expected);
  });

  it("a Tuesday is not a logical date of 0 0 1-31 * 1, and the Monday's interval lasts a week", () => {
    const s = compile("0 0 1-31 * 1", "UTC");
    expect(intervalForLogicalDate(s, d("2024-01-02T00:00:00Z"))).toBeNull();
    expect(intervalForLogicalDate(s, d("2024-01-01T00:00:00Z"))).toEqual({ start: d("2024-01-01T00:00:00Z"), end: d("2024-01-08T00:00:00Z") });
  });

  it("run creation: catchup creates Mondays only", () => {
    const s = compile("0 0 1-31 * 1", "UTC");
    const due = dueIntervals(s, { lastLogicalDate: null, now: d("2024-01-20T00:00:00Z"), limit: 10 });
    expect(due.map((i) => i.start.toISOString().slice(0, 10))).toEqual(["2024-01-01", "2024-01-08"]);
  });
});

describe("where Airflow's output is irregular, Runnel follows the cron", () => {
  it("several fire times in New York's skipped hour each move forward by the gap", () => {
    // */20 2 * * *: 02:00, 02:20, 02:40 do not exist on 2024-03-10; they run at 03:00, 03:20, 03:40 EDT.
    expect(starts("*/20 2 * * *", "America/New_York", "2024-03-10T00:00:00Z", "2024-03-10T12:00:00Z")).toEqual([
      "2024-03-10T07:00:00.000Z", "2024-03-10T07:20:00.000Z", "2024-03-10T07:40:00.000Z",
    ]);
  });

  it("an hour-* cron limited to Sundays keeps its wall-clock hours on both sides of the change", () => {
    const list = starts("0 * * * 0", "America/New_York", "2024-11-03T04:00:00Z", "2024-11-10T06:00:00Z");
    // 25 real hours on 2024-11-03 (01:00 twice), then the next Sunday starts at local midnight (EST).
    expect(list.filter((t) => t < "2024-11-04T05")).toHaveLength(25);
    expect(list.filter((t) => t >= "2024-11-04T05")).toEqual(["2024-11-10T05:00:00.000Z", "2024-11-10T06:00:00.000Z"]);
  });
});
