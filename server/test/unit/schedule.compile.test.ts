import { describe, expect, it } from "vitest";
import {
  SCHEDULE_PRESETS,
  ScheduleError,
  compileSchedule,
  describeSchedule,
  isScheduleError,
  parseCron,
  runIdFor,
  type ScheduleSpec,
} from "../../src/schedule/index";

const spec = (over: Partial<ScheduleSpec>): ScheduleSpec => ({
  schedule: "@daily",
  timezone: "UTC",
  startDate: "2024-01-01",
  endDate: null,
  catchup: false,
  ...over,
});

describe("compileSchedule: schedules", () => {
  it.each([
    ["@hourly", "0 * * * *"],
    ["@daily", "0 0 * * *"],
    ["@weekly", "0 0 * * 0"],
    ["@monthly", "0 0 1 * *"],
    ["@yearly", "0 0 1 1 *"],
    ["@annually", "0 0 1 1 *"],
    ["@quarterly", "0 0 1 */3 *"],
    ["@once", "@once"],
    [" @DAILY ", "0 0 * * *"],
    ["*/15 * * * *", "*/15 * * * *"],
    ["  30   6 * *   MON-FRI ", "30 6 * * MON-FRI"],
    ["0 0 L * *", "0 0 L * *"],
  ])("%j compiles to cron %j", (schedule, cron) => {
    expect(compileSchedule(spec({ schedule })).cron).toBe(cron);
  });

  it("null is manual-only and needs no startDate", () => {
    const s = compileSchedule(spec({ schedule: null, startDate: null }));
    expect(s.cron).toBeNull();
    expect(s.startDate).toBeNull();
  });

  it("exposes exactly the documented presets", () => {
    expect(Object.keys(SCHEDULE_PRESETS).sort()).toEqual(
      ["@annually", "@daily", "@hourly", "@monthly", "@once", "@quarterly", "@weekly", "@yearly"].sort(),
    );
  });

  it("reads startDate and endDate in the DAG timezone and canonicalises the zone", () => {
    const s = compileSchedule(spec({ timezone: "europe/berlin", startDate: "2024-01-01", endDate: "2024-06-30T12:00:00Z" }));
    expect(s.timezone).toBe("Europe/Berlin");
    expect(s.startDate?.toISOString()).toBe("2023-12-31T23:00:00.000Z");
    expect(s.endDate?.toISOString()).toBe("2024-06-30T12:00:00.000Z");
  });

  it("returns a frozen copy of the spec", () => {
    const input = spec({});
    const s = compileSchedule(input);
    expect(s.spec).toEqual(input);
    expect(s.spec).not.toBe(input);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.spec)).toBe(true);
  });

  it("accepts endDate equal to startDate", () => {
    expect(compileSchedule(spec({ endDate: "2024-01-01" })).endDate?.toISOString()).toBe("2024-01-01T00:00:00.000Z");
  });
});

describe("compileSchedule: invalid input throws ScheduleError naming the value", () => {
  it.each<[string, Partial<ScheduleSpec>, RegExp]>([
    ["minute out of range", { schedule: "61 * * * *" }, /^invalid cron expression "61 \* \* \* \*": .*61/],
    ["hour out of range", { schedule: "0 24 * * *" }, /^invalid cron expression "0 24 \* \* \*"/],
    ["too few fields", { schedule: "* * *" }, /^invalid cron expression "\* \* \*": expected 5 fields .*got 3/],
    ["seconds field", { schedule: "0 0 0 * * *" }, /^invalid cron expression "0 0 0 \* \* \*": expected 5 fields .*got 6/],
    ["empty schedule", { schedule: "   " }, /^invalid cron expression " {3}": expected 5 fields .*got 0/],
    ["garbage", { schedule: "every day" }, /^invalid cron expression "every day"/],
    ["impossible date", { schedule: "0 0 31 2 *" }, /^invalid cron expression "0 0 31 2 \*"/],
    ["zero step", { schedule: "*/0 * * * *" }, /^invalid cron expression "\*\/0 \* \* \* \*"/],
    ["hashed field", { schedule: "H 0 * * *" }, /^invalid cron expression "H 0 \* \* \*": hashed values/],
    ["unknown preset", { schedule: "@fortnightly" }, /^unknown schedule preset "@fortnightly" \(use one of @once, @hourly/],
    ["unknown timezone", { timezone: "Mars/Base" }, /^unknown timezone "Mars\/Base"/],
    ["empty timezone", { timezone: "" }, /^unknown timezone ""/],
    ["month 13", { startDate: "2024-13-01" }, /^startDate "2024-13-01" is not a date \(use YYYY-MM-DD or an ISO date-time\)$/],
    ["Feb 30", { startDate: "2024-02-30" }, /^startDate "2024-02-30" is not a date/],
    ["not a date", { startDate: "yesterday" }, /^startDate "yesterday" is not a date/],
    ["bad endDate", { endDate: "2024-01-01T25:00" }, /^endDate "2024-01-01T25:00" is not a date/],
    ["missing startDate", { startDate: null }, /^a scheduled DAG needs a startDate/],
    ["@once without startDate", { schedule: "@once", startDate: null }, /^a scheduled DAG needs a startDate/],
    ["endDate before startDate", { endDate: "2023-12-31" }, /^endDate "2023-12-31" is before startDate "2024-01-01"$/],
  ])("%s", (_name, over, message) => {
    let caught: unknown;
    try {
      compileSchedule(spec(over));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScheduleError);
    expect(isScheduleError(caught)).toBe(true);
    expect((caught as ScheduleError).name).toBe("ScheduleError");
    expect((caught as ScheduleError).code).toBe("INVALID_SCHEDULE");
    expect((caught as Error).message).toMatch(message);
  });

  it("rejects a Date object where a string is expected (plain-JavaScript DAG files)", () => {
    const startDate = new Date("2024-01-01T00:00:00Z") as unknown as string;
    expect(() => compileSchedule(spec({ startDate }))).toThrow(/^startDate must be a string \(YYYY-MM-DD or an ISO date-time\), got /);
  });

  it("rejects a non-boolean catchup coming from untyped DAG files", () => {
    expect(() => compileSchedule(spec({ catchup: "yes" as unknown as boolean }))).toThrow(/catchup must be true or false, got yes/);
  });

  it("isScheduleError recognises copies by symbol and rejects other errors", () => {
    const foreign = Object.assign(new Error("x"), { [Symbol.for("runnel.scheduleError")]: true });
    expect(isScheduleError(foreign)).toBe(true);
    expect(isScheduleError(new Error("x"))).toBe(false);
    expect(isScheduleError(null)).toBe(false);
  });
});

describe("parseCron", () => {
  it("normalises whitespace and keeps names", () => {
    expect(parseCron(" 0\t6  * * sat,sun ")).toBe("0 6 * * sat,sun");
  });
  it("does not mistake day names containing H for a hash field", () => {
    expect(parseCron("0 6 * * THU")).toBe("0 6 * * THU");
  });
});

describe("describeSchedule", () => {
  it.each<[string | null, string]>([
    [null, "manual only"],
    ["@once", "once"],
    ["@hourly", "every hour at minute 0"],
    ["@daily", "every day at 00:00"],
    ["@weekly", "every Sunday at 00:00"],
    ["@monthly", "on day 1 of every month at 00:00"],
    ["@yearly", "every year on Jan 1 at 00:00"],
    ["30 6 * * 1-5", "at 06:30 on Mon–Fri"],
    ["30 6 * * MON-FRI", "at 06:30 on Mon–Fri"],
    ["0 9 * * 1,3,5", "at 09:00 on Mon, Wed, Fri"],
    ["0 9 * * 6,0", "at 09:00 on Sun, Sat"],
    ["15 7 * * 2", "every Tuesday at 07:15"],
    ["5 4 15 * *", "on day 15 of every month at 04:05"],
    ["0 12 25 12 *", "every year on Dec 25 at 12:00"],
    ["* * * * *", "every minute"],
    ["*/15 * * * *", "every 15 minutes"],
    ["45 * * * *", "every hour at minute 45"],
    ["0 */6 * * *", "every 6 hours at minute 0"],
    ["0 0 * * 1#2", "cron: 0 0 * * 1#2"],
    ["0 0 L * *", "cron: 0 0 L * *"],
    ["*/15 9-17 * * 1-5", "cron: */15 9-17 * * 1-5"],
    ["0 0 1 * 1", "cron: 0 0 1 * 1"],
    ["61 * * * *", 'invalid schedule "61 * * * *"'],
    ["@fortnightly", 'invalid schedule "@fortnightly"'],
  ])("%j -> %j", (schedule, words) => {
    expect(describeSchedule(schedule)).toBe(words);
  });
});

describe("runIdFor", () => {
  it("joins the run type and the ISO logical date", () => {
    expect(runIdFor("scheduled", new Date("2024-01-01T00:00:00Z"))).toBe("scheduled__2024-01-01T00:00:00.000Z");
    expect(runIdFor("manual", new Date("2024-03-10T07:30:00.123Z"))).toBe("manual__2024-03-10T07:30:00.123Z");
  });
  it("rejects an invalid date", () => {
    expect(() => runIdFor("manual", new Date("nope"))).toThrow(ScheduleError);
  });
});
