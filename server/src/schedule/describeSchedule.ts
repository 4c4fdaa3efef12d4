import { CronExpressionParser, type CronFieldCollection } from "cron-parser";
import { expandPreset } from "./presets";

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Numeric values of a cron field; null when it uses L, # or other specials we do not describe. */
function numbers(values: readonly (number | string)[]): number[] | null {
  return values.every((v): v is number => typeof v === "number") ? [...values] : null;
}

/** `n` when values are exactly 0, n, 2n, ... covering `size` (a `*\/n` step), else null. */
function stepOf(values: number[], size: number): number | null {
  const step = values[1];
  if (values[0] !== 0 || step === undefined || size % step !== 0 || values.length !== size / step) return null;
  return values.every((v, i) => v === i * step) ? step : null;
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** "Mon–Fri", "Mon, Wed, Fri" or "Sat, Sun" for day-of-week values 0-7 (0 and 7 are Sunday). */
function dayList(values: number[]): string {
  const days = [...new Set(values.map((v) => v % 7))].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === (days[j] ?? 0) + 1) j++;
    const first = DAY_NAMES[days[i] ?? 0]?.slice(0, 3) ?? "";
    const lastDay = DAY_NAMES[days[j] ?? 0]?.slice(0, 3) ?? "";
    runs.push(j - i >= 2 ? `${first}–${lastDay}` : days.slice(i, j + 1).map((d) => DAY_NAMES[d]?.slice(0, 3) ?? "").join(", "));
    i = j + 1;
  }
  return runs.join(", ");
}

/** The phrase for a cron that fires at one time of day, or null. */
function describeTimeOfDay(f: CronFieldCollection, time: string, dom: number[] | null, dow: number[] | null): string | null {
  const allDom = f.dayOfMonth.values.length === 31 && dom !== null;
  const allMonths = f.month.values.length === 12;
  const allDow = dow !== null && new Set(dow.map((d) => d % 7)).size === 7;
  const month = f.month.values[0];
  if (allDom && allMonths && allDow) return `every day at ${time}`;
  if (allDom && allMonths && dow !== null) {
    return dow.length === 1 ? `every ${DAY_NAMES[(dow[0] ?? 0) % 7]} at ${time}` : `at ${time} on ${dayList(dow)}`;
  }
  if (allDow && dom?.length === 1) {
    if (allMonths) return `on day ${dom[0]} of every month at ${time}`;
    if (f.month.values.length === 1 && typeof month === "number") return `every year on ${MONTH_NAMES[month - 1]} ${dom[0]} at ${time}`;
  }
  return null;
}

/** The phrase for a cron, or null when it is not one of the simple shapes. */
function describeCron(f: CronFieldCollection): string | null {
  const minutes = numbers(f.minute.values);
  const hours = numbers(f.hour.values);
  const dom = numbers(f.dayOfMonth.values);
  const dow = numbers(f.dayOfWeek.values);
  if (minutes === null || hours === null) return null;
  const everyDay = f.dayOfMonth.values.length === 31 && f.month.values.length === 12 && dow !== null && new Set(dow.map((d) => d % 7)).size === 7;
  const minuteStep = stepOf(minutes, 60);
  const hourStep = stepOf(hours, 24);
  const [minute] = minutes;
  const [hour] = hours;
  if (minutes.length === 1 && hours.length === 1 && minute !== undefined && hour !== undefined) {
    return describeTimeOfDay(f, `${pad(hour)}:${pad(minute)}`, dom, dow);
  }
  if (!everyDay) return null;
  if (hourStep === 1 && minuteStep === 1) return "every minute";
  if (hourStep === 1 && minuteStep !== null) return `every ${minuteStep} minutes`;
  if (hourStep === 1 && minutes.length === 1) return `every hour at minute ${minute}`;
  if (hourStep !== null && minutes.length === 1) return `every ${hourStep} hours at minute ${minute}`;
  return null;
}

/**
 * Human words for a schedule, for the UI and CLI: "manual only", "once", "every day at
 * 00:00", "every hour at minute 0", "at 06:30 on Mon–Fri", "every 15 minutes"; otherwise
 * "cron: <expr>". Never throws: an invalid schedule reads `invalid schedule "<expr>"`.
 * Times are wall-clock times in the DAG's timezone.
 */
/** A schedule in words, given either a cron/preset (or null) or the datasets of a data-aware schedule. */
export function describeDagSchedule(schedule: string | null, datasets: readonly string[] | null): string {
  if (datasets !== null && datasets.length > 0) {
    return datasets.length === 1 ? `when ${datasets[0]} is written (per partition)` : `when ${datasets.join(", ")} are all written (per partition)`;
  }
  return describeSchedule(schedule);
}

export function describeSchedule(schedule: string | null): string {
  if (schedule === null) return "manual only";
  const trimmed = schedule.trim();
  const cron = trimmed.startsWith("@") ? expandPreset(trimmed.toLowerCase()) : trimmed.split(/\s+/).join(" ");
  if (cron === "@once") return "once";
  if (cron === undefined || cron.split(" ").length !== 5) return `invalid schedule ${JSON.stringify(schedule)}`;
  try {
    const fields = CronExpressionParser.parse(cron, { tz: "UTC" }).fields;
    // cron-parser reports "1#2" (second Monday) as plain [1]; do not call it "every Monday".
    return (cron.includes("#") ? null : describeCron(fields)) ?? `cron: ${cron}`;
  } catch {
    return `invalid schedule ${JSON.stringify(schedule)}`;
  }
}
