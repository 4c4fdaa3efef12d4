import { ScheduleError } from "./errors";
import type { DataInterval } from "./types";
import { instantsForWallTime, wallTimeToInstant } from "./wallClock";
import { DAY_MS, HOUR_MS, MINUTE_MS, zoneOffsets } from "./zoneOffsets";

// YYYY-MM-DD, optionally followed by a time (T or a space) and optionally by Z or an offset.
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Reads a date a DAG author wrote, in `timezone`:
 * - "YYYY-MM-DD": midnight local time that day;
 * - an ISO date-time without offset ("2024-03-01T06:30", seconds and fraction optional):
 *   that local time;
 * - with "Z" or an offset ("2024-03-01T06:30:00+02:00"): that instant, whatever `timezone`.
 *
 * A local time the spring DST change skips moves forward by the gap (02:30 -> 03:30); one
 * the autumn change repeats means its second occurrence (after the change, as pendulum reads
 * it with `fold=1` in Airflow), the same rule fixed-time crons follow.
 * `what` (e.g. "startDate") prefixes the error message.
 * @throws ScheduleError for an unknown timezone or text that is not such a date.
 */
export function parseDateInZone(text: string, timezone: string, what?: string): Date {
  const zone = zoneOffsets(timezone);
  const notADate = (): ScheduleError => {
    const subject = what === undefined ? JSON.stringify(text) : `${what} ${JSON.stringify(text)}`;
    return new ScheduleError(`${subject} is not a date (use YYYY-MM-DD or an ISO date-time)`);
  };
  if (typeof text !== "string") {
    throw new ScheduleError(`${what ?? "date"} must be a string (YYYY-MM-DD or an ISO date-time), got ${String(text)}`);
  }
  const m = DATE_RE.exec(text.trim());
  if (m === null) throw notADate();
  const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = "", offset] = m;
  const wall = wallMs(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second), fraction);
  if (wall === undefined) throw notADate();
  if (offset === undefined) return new Date(wallTimeToInstant(zone, wall));
  const offsetMs = parseOffset(offset);
  if (offsetMs === undefined) throw notADate();
  return new Date(wall - offsetMs);
}

/** Naive ms of a calendar date and time, or undefined when a field is out of range (Feb 30, 24:00). */
function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, fraction: string): number | undefined {
  const ms = Number(fraction.padEnd(3, "0").slice(0, 3));
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC, so that years 0-99 are not read as 1900-1999.
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  const sameFields =
    date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d &&
    date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s;
  return sameFields ? date.getTime() : undefined;
}

/** "Z", "+02", "+0230" or "-05:00" as ms east of UTC, or undefined when out of range. */
function parseOffset(text: string): number | undefined {
  if (text.toUpperCase() === "Z") return 0;
  const digits = text.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return (text.startsWith("-") ? -1 : 1) * (hours * HOUR_MS + minutes * MINUTE_MS);
}

/** The ms of a Date, or a ScheduleError naming `what` when it is not a valid Date. */
export function toMs(date: Date, what: string): number {
  const ms = date instanceof Date ? date.getTime() : NaN;
  if (Number.isNaN(ms)) throw new ScheduleError(`${what} is not a valid date: ${String(date)}`);
  return ms;
}

/**
 * The calendar date of `date` in `timezone` as "YYYY-MM-DD" (Airflow's `ds`).
 * @throws ScheduleError for an unknown timezone or an invalid Date.
 */
export function formatDs(date: Date, timezone: string): string {
  const wall = zoneOffsets(timezone).toWall(toMs(date, "date"));
  return new Date(wall).toISOString().slice(0, 10);
}

/**
 * The partition an interval writes: its start's local date ("2024-03-01") when the interval
 * starts a local day (daily and coarser schedules: local midnight, or the first instant of a
 * day whose midnight DST skips, as in America/Havana), else its local start minute
 * ("2024-03-01T06:00"). In the hour an autumn DST change repeats, the minute alone would name
 * two intervals (and the second run would overwrite the first's partition), so there the
 * UTC offset is appended: "2024-11-03T01:00-04:00", then "2024-11-03T01:00-05:00".
 * Stable across reruns, so a task can overwrite exactly its partition.
 * @throws ScheduleError for an unknown timezone or an invalid Date.
 */
export function partitionKey(interval: DataInterval, timezone: string): string {
  const zone = zoneOffsets(timezone);
  const start = toMs(interval.start, "interval start");
  const wall = zone.toWall(start);
  const iso = new Date(wall).toISOString();
  const startsDay = Math.floor(zone.toWall(start - 1) / DAY_MS) !== Math.floor(wall / DAY_MS);
  if (startsDay) return iso.slice(0, 10);
  const repeated = instantsForWallTime(zone, wall, "every").length > 1;
  return repeated ? iso.slice(0, 16) + formatOffset(zone.offsetAt(start)) : iso.slice(0, 16);
}

/** "+02:00", "-05:00", "+05:45" for an offset in ms. */
function formatOffset(offsetMs: number): string {
  const minutes = Math.round(Math.abs(offsetMs) / MINUTE_MS);
  const sign = offsetMs < 0 ? "-" : "+";
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * The data interval a partition key names (the inverse of `partitionKey`), for runs created by
 * data-aware scheduling: "2024-03-01" is that local day, [midnight, next midnight); a date-time
 * key ("2024-03-01T06:00", with an offset in a repeated hour) is the instant it names, as a
 * point interval. Null when the key is not a date (a partition such as "eu-west").
 */
export function partitionInterval(partition: string, timezone: string): DataInterval | null {
  if (!DATE_RE.test(partition.trim())) return null;
  let start: Date;
  try {
    start = parseDateInZone(partition, timezone);
  } catch {
    return null;
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(partition.trim())) return { start, end: start };
  const next = new Date(0);
  const [y, m, d] = partition.trim().split("-").map(Number) as [number, number, number];
  next.setUTCFullYear(y, m - 1, d + 1);
  return { start, end: parseDateInZone(next.toISOString().slice(0, 10), timezone) };
}
