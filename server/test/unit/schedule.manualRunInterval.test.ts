import { describe, expect, it } from "vitest";
import { compileSchedule, inferManualInterval, manualRunInterval } from "../../src/schedule/index";

const compile = (schedule: string | null, timezone = "UTC", startDate: string | null = "2024-01-01", endDate: string | null = null) =>
  compileSchedule({ schedule, timezone, startDate, endDate, catchup: false });
const d = (iso: string): Date => new Date(iso);
const iv = (start: string, end: string) => ({ start: d(start), end: d(end) });

describe("manualRunInterval: a manual run without a logical date covers the last complete interval (Airflow's infer_manual_data_interval)", () => {
  it.each<[string, string | null, string, string, ReturnType<typeof iv>]>([
    ["the issue's case: @daily at 18:51 on 12-01", "@daily", "UTC", "2026-12-01T18:51:00Z", iv("2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z")],
    ["exactly at a fire time: the interval that just closed", "@daily", "UTC", "2026-12-01T00:00:00Z", iv("2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z")],
    ["@daily in Berlin", "@daily", "Europe/Berlin", "2026-12-01T18:51:00Z", iv("2026-11-29T23:00:00Z", "2026-11-30T23:00:00Z")],
    ["@hourly", "@hourly", "UTC", "2026-12-01T18:51:00Z", iv("2026-12-01T17:00:00Z", "2026-12-01T18:00:00Z")],
    ["weekdays at 06:00, Monday 05:00: Thursday to Friday", "0 6 * * 1-5", "UTC", "2026-11-30T05:00:00Z", iv("2026-11-26T06:00:00Z", "2026-11-27T06:00:00Z")],
    ["@monthly", "@monthly", "UTC", "2026-12-01T18:51:00Z", iv("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")],
  ])("%s", (_what, schedule, tz, now, expected) => {
    expect(manualRunInterval(compile(schedule, tz), d(now))).toEqual(expected);
  });

  it("ignores startDate/endDate, as Airflow does (a manual run may lie outside them)", () => {
    expect(manualRunInterval(compile("@daily", "UTC", "2024-01-01", "2024-12-31"), d("2026-12-01T18:51:00Z"))).toEqual(iv("2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"));
  });

  it("no cron (schedule null, @once): [now, now], Airflow's DataInterval.exact(now)", () => {
    expect(manualRunInterval(compile(null, "UTC", null), d("2026-12-01T18:51:00Z"))).toEqual(iv("2026-12-01T18:51:00Z", "2026-12-01T18:51:00Z"));
    expect(manualRunInterval(compile("@once"), d("2026-12-01T18:51:00Z"))).toEqual(iv("2026-12-01T18:51:00Z", "2026-12-01T18:51:00Z"));
  });

  it("differs from an explicit logical date at the same instant, which keeps the interval around it", () => {
    expect(inferManualInterval(compile("@daily"), d("2026-12-01T18:51:00Z"))).toEqual(iv("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"));
  });
});
