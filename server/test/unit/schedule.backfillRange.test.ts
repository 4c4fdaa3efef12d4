import { describe, expect, it } from "vitest";
import { clipToDagDates, compileSchedule } from "../../src/schedule/index";

const d = (iso: string): Date => new Date(`${iso}T00:00:00.000Z`);
const span = (from: string, to: string) => ({ from: d(from), to: d(to) });
const daily = compileSchedule({ schedule: "@daily", timezone: "UTC", startDate: "2024-01-03", endDate: "2024-01-10", catchup: true });

describe("clipToDagDates (Airflow's iter_dagrun_infos_between clips, never refuses)", () => {
  it.each<[string, string, string, ReturnType<typeof span> | null, ReturnType<typeof span> | null, ReturnType<typeof span> | null]>([
    ["inside", "2024-01-04", "2024-01-06", span("2024-01-04", "2024-01-06"), null, null],
    ["the issue's case: from before startDate", "2024-01-01", "2024-01-05", span("2024-01-03", "2024-01-05"), span("2024-01-01", "2024-01-03"), null],
    ["to after endDate", "2024-01-08", "2024-01-20", span("2024-01-08", "2024-01-10"), null, span("2024-01-10", "2024-01-20")],
    ["both ends", "2023-12-01", "2024-02-01", span("2024-01-03", "2024-01-10"), span("2023-12-01", "2024-01-03"), span("2024-01-10", "2024-02-01")],
    ["exactly the DAG's dates", "2024-01-03", "2024-01-10", span("2024-01-03", "2024-01-10"), null, null],
    ["entirely before", "2023-12-01", "2023-12-05", null, span("2023-12-01", "2023-12-05"), null],
    ["entirely after", "2024-02-01", "2024-02-05", null, null, span("2024-02-01", "2024-02-05")],
  ])("%s", (_what, from, to, inside, beforeStartDate, afterEndDate) => {
    expect(clipToDagDates(daily, d(from), d(to))).toEqual({ requested: span(from, to), inside, beforeStartDate, afterEndDate });
  });

  it("no endDate: nothing is after it", () => {
    const open = compileSchedule({ schedule: "@daily", timezone: "UTC", startDate: "2024-01-03", endDate: null, catchup: true });
    expect(clipToDagDates(open, d("2030-01-01"), d("2030-02-01")).afterEndDate).toBeNull();
  });
});
