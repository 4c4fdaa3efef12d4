import { describe, expect, it } from "vitest";
import { ScheduleError, describeDagSchedule, formatDs, parseDateInZone, partitionInterval, partitionKey } from "../../src/schedule/index";

describe("parseDateInZone", () => {
  it.each([
    // date only: midnight local
    ["2024-01-01", "UTC", "2024-01-01T00:00:00.000Z"],
    ["2024-01-01", "Europe/Berlin", "2023-12-31T23:00:00.000Z"],
    ["2024-07-01", "Europe/Berlin", "2024-06-30T22:00:00.000Z"],
    ["2024-07-01", "America/New_York", "2024-07-01T04:00:00.000Z"],
    ["2024-02-29", "UTC", "2024-02-29T00:00:00.000Z"],
    ["0099-05-01", "UTC", "0099-05-01T00:00:00.000Z"],
    // date-time without offset: that local time
    ["2024-03-01T06:30", "America/New_York", "2024-03-01T11:30:00.000Z"],
    ["2024-03-01 06:30:15", "America/New_York", "2024-03-01T11:30:15.000Z"],
    ["2024-03-01T06:30:15.25", "UTC", "2024-03-01T06:30:15.250Z"],
    ["2024-03-01T06:30:15.123456", "UTC", "2024-03-01T06:30:15.123Z"],
    // with Z or an offset: that instant, whatever the zone
    ["2024-03-01T06:30:00Z", "America/New_York", "2024-03-01T06:30:00.000Z"],
    ["2024-03-01T06:30:00z", "Asia/Tokyo", "2024-03-01T06:30:00.000Z"],
    ["2024-03-01T06:30:00+02:00", "America/New_York", "2024-03-01T04:30:00.000Z"],
    ["2024-03-01T06:30:00-0530", "UTC", "2024-03-01T12:00:00.000Z"],
    ["2024-03-01T06:30+09", "UTC", "2024-02-29T21:30:00.000Z"],
    // DST: a skipped local time moves forward by the gap, a repeated one is its second
    // occurrence (Airflow: pendulum with fold=1)
    ["2024-03-10T02:30", "America/New_York", "2024-03-10T07:30:00.000Z"],
    ["2024-11-03T01:30", "America/New_York", "2024-11-03T06:30:00.000Z"],
    ["2024-03-31T02:30", "Europe/Berlin", "2024-03-31T01:30:00.000Z"],
    ["2024-10-27T02:30", "Europe/Berlin", "2024-10-27T01:30:00.000Z"],
    // midnight itself skipped (Havana springs forward at 00:00)
    ["2024-03-10", "America/Havana", "2024-03-10T05:00:00.000Z"],
  ])("%s in %s is %s", (text, zone, iso) => {
    expect(parseDateInZone(text, zone).toISOString()).toBe(iso);
  });

  it.each([
    "2024-13-01", "2024-02-30", "2023-02-29", "2024-1-1", "20240101", "2024-01-01T24:00",
    "2024-01-01T12:60", "2024-01-01T12:00:60", "2024-01-01T12:00+24:00", "2024-W01", "2024-001",
    "", "yesterday", "2024-01-01T",
  ])("%j is not a date", (text) => {
    expect(() => parseDateInZone(text, "UTC")).toThrow(ScheduleError);
    expect(() => parseDateInZone(text, "UTC")).toThrow(`${JSON.stringify(text)} is not a date (use YYYY-MM-DD or an ISO date-time)`);
  });

  it("names the option when asked", () => {
    expect(() => parseDateInZone("2024-13-01", "UTC", "endDate")).toThrow('endDate "2024-13-01" is not a date');
  });

  it("rejects an unknown timezone", () => {
    expect(() => parseDateInZone("2024-01-01", "Mars/Base")).toThrow('unknown timezone "Mars/Base"');
  });
});

describe("formatDs", () => {
  it.each([
    ["2024-01-01T00:00:00Z", "UTC", "2024-01-01"],
    ["2024-01-01T23:30:00Z", "UTC", "2024-01-01"],
    ["2023-12-31T23:00:00Z", "Europe/Berlin", "2024-01-01"],
    ["2024-01-01T04:59:59Z", "America/New_York", "2023-12-31"],
    ["2024-01-01T05:00:00Z", "America/New_York", "2024-01-01"],
    ["2024-01-01T14:59:00Z", "Pacific/Kiritimati", "2024-01-02"],
  ])("%s in %s is %s", (iso, zone, ds) => {
    expect(formatDs(new Date(iso), zone)).toBe(ds);
  });

  it("rejects an invalid Date", () => {
    expect(() => formatDs(new Date(Number.NaN), "UTC")).toThrow(ScheduleError);
  });
});

describe("partitionKey", () => {
  const at = (start: string, end = start) => ({ start: new Date(start), end: new Date(end) });
  it.each([
    ["2024-01-01T00:00:00Z", "UTC", "2024-01-01"],
    ["2024-01-01T06:00:00Z", "UTC", "2024-01-01T06:00"],
    ["2024-01-01T06:15:00Z", "UTC", "2024-01-01T06:15"],
    ["2023-12-31T23:00:00Z", "Europe/Berlin", "2024-01-01"],
    ["2024-01-01T00:00:00Z", "Europe/Berlin", "2024-01-01T01:00"],
    ["2024-03-10T05:00:00Z", "America/New_York", "2024-03-10"],
    ["2024-03-11T04:00:00Z", "America/New_York", "2024-03-11"],
    ["2024-03-31T01:00:00Z", "Europe/Berlin", "2024-03-31T03:00"],
    // Havana skips midnight: 01:00 CDT is the first instant of 2024-03-10
    ["2024-03-10T05:00:00Z", "America/Havana", "2024-03-10"],
    ["2024-03-10T06:00:00Z", "America/Havana", "2024-03-10T02:00"],
    // the repeated hour: the offset tells the two 01:00s apart
    ["2024-11-03T05:00:00Z", "America/New_York", "2024-11-03T01:00-04:00"],
    ["2024-11-03T06:00:00Z", "America/New_York", "2024-11-03T01:00-05:00"],
    ["2024-11-03T07:00:00Z", "America/New_York", "2024-11-03T02:00"],
    ["2024-10-27T00:30:00Z", "Europe/Berlin", "2024-10-27T02:30+02:00"],
    ["2024-10-27T01:30:00Z", "Europe/Berlin", "2024-10-27T02:30+01:00"],
  ])("interval starting %s in %s is %s", (start, zone, key) => {
    expect(partitionKey(at(start), zone)).toBe(key);
  });
});

describe("partitionInterval (the run a dataset-triggered partition gets)", () => {
  it.each([
    ["2024-05-01", "UTC", "2024-05-01T00:00:00.000Z", "2024-05-02T00:00:00.000Z"],
    ["2024-12-31", "UTC", "2024-12-31T00:00:00.000Z", "2025-01-01T00:00:00.000Z"],
    // A 23-hour local day (spring DST): the next local midnight, not start + 24 h.
    ["2024-03-10", "America/New_York", "2024-03-10T05:00:00.000Z", "2024-03-11T04:00:00.000Z"],
    ["2024-03-01T06:00", "Europe/Berlin", "2024-03-01T05:00:00.000Z", "2024-03-01T05:00:00.000Z"],
    ["2024-11-03T01:00-05:00", "America/New_York", "2024-11-03T06:00:00.000Z", "2024-11-03T06:00:00.000Z"],
  ])("%s in %s is [%s, %s) and names the same partition again", (partition, tz, start, end) => {
    const interval = partitionInterval(partition, tz);
    expect(interval && { start: interval.start.toISOString(), end: interval.end.toISOString() }).toEqual({ start, end });
    expect(partitionKey(interval!, tz)).toBe(partition);
  });

  it.each(["eu-west", "2024-13-01", "2024-02-30", ""])("is null for %j, which names no date", (partition) => {
    expect(partitionInterval(partition, "UTC")).toBeNull();
  });

  it("describes dataset schedules in words", () => {
    expect(describeDagSchedule(null, ["warehouse.orders"])).toBe("when warehouse.orders is written (per partition)");
    expect(describeDagSchedule(null, ["a.x", "b.y"])).toBe("when a.x, b.y are all written (per partition)");
    expect(describeDagSchedule("@daily", null)).toBe(describeDagSchedule("@daily", []));
  });
});
