import { parseCron } from "./compileSchedule";
import { toMs } from "./dates";
import { ScheduleError } from "./errors";
import { FireTimes } from "./fireTimes";
import { ONCE } from "./presets";
import type { CompiledSchedule, DataInterval } from "./types";
import { zoneOffsets } from "./zoneOffsets";

/** What a CompiledSchedule is, for the interval math. */
type Kind =
  | { kind: "manual" }
  | { kind: "once"; at: number; endDate: number }
  | { kind: "cron"; fires: FireTimes; firstStart: number; endDate: number };

// Built lazily per schedule object, so a CompiledSchedule stays plain data and one rebuilt
// from storage works too.
const kinds = new WeakMap<CompiledSchedule, Kind>();

function kindOf(s: CompiledSchedule): Kind {
  let k = kinds.get(s);
  if (k === undefined) {
    k = buildKind(s);
    kinds.set(s, k);
  }
  return k;
}

function buildKind(s: CompiledSchedule): Kind {
  if (s.cron === null) return { kind: "manual" };
  if (s.startDate === null) throw new ScheduleError(`a scheduled DAG needs a startDate (schedule ${JSON.stringify(s.cron)})`);
  const start = s.startDate.getTime();
  const endDate = s.endDate === null ? Infinity : s.endDate.getTime();
  if (s.cron === ONCE) return { kind: "once", at: start, endDate };
  // parseCron again: the schedule may have been rebuilt from storage rather than compiled.
  const fires = new FireTimes(parseCron(s.cron), zoneOffsets(s.timezone));
  return { kind: "cron", fires, firstStart: fires.nextAfter(start - 1), endDate };
}

function interval(start: number, end: number): DataInterval {
  return { start: new Date(start), end: new Date(end) };
}

/**
 * The data interval whose logical date is `logicalDate`: `[logicalDate, next fire time)` for
 * a cron, `[startDate, startDate]` for `@once`. Ignores startDate/endDate (a backfill or a
 * manual run may lie outside them); use `intervalsInRange` for clipped lists.
 * @returns null when `logicalDate` is not a fire time of the schedule, or it is manual-only.
 */
export function intervalForLogicalDate(s: CompiledSchedule, logicalDate: Date): DataInterval | null {
  const t = toMs(logicalDate, "logicalDate");
  const k = kindOf(s);
  if (k.kind === "manual") return null;
  if (k.kind === "once") return t === k.at ? interval(t, t) : null;
  return k.fires.isFireTime(t) ? interval(t, k.fires.nextAfter(t)) : null;
}

/**
 * The first interval whose logical date is after `afterLogicalDate` (the DAG's first interval
 * when null: the first fire time at or after startDate), within startDate..endDate.
 * @returns null for a manual-only schedule, past endDate, or `@once` already past.
 */
export function nextInterval(s: CompiledSchedule, afterLogicalDate: Date | null): DataInterval | null {
  const after = afterLogicalDate === null ? -Infinity : toMs(afterLogicalDate, "afterLogicalDate");
  const k = kindOf(s);
  if (k.kind === "manual") return null;
  if (k.kind === "once") return after < k.at ? interval(k.at, k.at) : null;
  const start = after < k.firstStart ? k.firstStart : k.fires.nextAfter(after);
  return start <= k.endDate ? interval(start, k.fires.nextAfter(start)) : null;
}

const DEFAULT_RANGE_LIMIT = 100_000;

/**
 * Every interval whose logical date lies in the closed range `[from, to]` and within
 * startDate..endDate, ascending. A date-only upper bound should be read with
 * `parseDateInZone`, i.e. as local midnight, so that day's daily interval is included.
 * @param limit most intervals the range may hold (default 100000), protecting callers from
 *   a minute schedule over years.
 * @throws ScheduleError when the range holds more than `limit` intervals.
 */
export function intervalsInRange(s: CompiledSchedule, from: Date, to: Date, limit = DEFAULT_RANGE_LIMIT): DataInterval[] {
  const lo = toMs(from, "from");
  const hi = toMs(to, "to");
  assertLimit(limit);
  const k = kindOf(s);
  if (k.kind === "manual") return [];
  const tooMany = (): ScheduleError =>
    new ScheduleError(`the range ${from.toISOString()} to ${to.toISOString()} holds more than ${limit} intervals; narrow it`);
  if (k.kind === "once") {
    if (lo > k.at || k.at > hi) return [];
    if (limit === 0) throw tooMany();
    return [interval(k.at, k.at)];
  }
  const last = Math.min(hi, k.endDate);
  const out: DataInterval[] = [];
  let start = Math.max(k.firstStart, k.fires.nextAfter(lo - 1));
  while (start <= last) {
    if (out.length === limit) throw tooMany();
    const end = k.fires.nextAfter(start);
    out.push(interval(start, end));
    start = end;
  }
  return out;
}

function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0) throw new ScheduleError(`limit must be a non-negative integer, got ${String(limit)}`);
}

/**
 * The intervals a scheduler should create runs for at `now`, ascending: closed ones
 * (`end <= now`) after `lastLogicalDate`, within startDate..endDate.
 * - `catchup: true`: all of them, oldest first, at most `limit`.
 * - `catchup: false`: only the latest closed interval, and only when it is after
 *   `lastLogicalDate`; older missed ones are skipped for good (even when no run exists yet).
 * `@once` yields its single interval once `now >= startDate`; manual-only yields nothing.
 */
export function dueIntervals(s: CompiledSchedule, args: { lastLogicalDate: Date | null; now: Date; limit: number }): DataInterval[] {
  const now = toMs(args.now, "now");
  const last = args.lastLogicalDate === null ? -Infinity : toMs(args.lastLogicalDate, "lastLogicalDate");
  assertLimit(args.limit);
  const k = kindOf(s);
  if (k.kind === "manual" || args.limit === 0) return [];
  if (k.kind === "once") return last < k.at && k.at <= now ? [interval(k.at, k.at)] : [];
  if (!s.spec.catchup) {
    const latest = latestClosedStart(k, now);
    return latest !== null && latest > last ? [interval(latest, k.fires.nextAfter(latest))] : [];
  }
  const out: DataInterval[] = [];
  let start = last < k.firstStart ? k.firstStart : k.fires.nextAfter(last);
  while (out.length < args.limit && start <= k.endDate) {
    const end = k.fires.nextAfter(start);
    if (end > now) break;
    out.push(interval(start, end));
    start = end;
  }
  return out;
}

/** Logical date of the latest interval with `end <= now`, clipped to startDate..endDate. */
function latestClosedStart(k: Extract<Kind, { kind: "cron" }>, now: number): number | null {
  // The latest fire time <= now closes the interval that starts at the fire time before it.
  const end = k.fires.latestAtOrBefore(now);
  let start = k.fires.latestAtOrBefore(end - 1);
  if (start > k.endDate) start = k.fires.latestAtOrBefore(k.endDate);
  return start >= k.firstStart ? start : null;
}

/**
 * The interval for a manually triggered run at `logicalDate`. Manual-only and `@once`
 * schedules give `[logicalDate, logicalDate]`; a cron gives the interval starting at
 * `logicalDate` when it is a fire time, else the fire times either side of it.
 */
export function inferManualInterval(s: CompiledSchedule, logicalDate: Date): DataInterval {
  const t = toMs(logicalDate, "logicalDate");
  const k = kindOf(s);
  if (k.kind !== "cron") return interval(t, t);
  return interval(k.fires.latestAtOrBefore(t), k.fires.nextAfter(t));
}

/**
 * The interval a manual run triggered at `now` without a logical date covers, as Airflow's
 * `infer_manual_data_interval`: for a cron, the last complete interval (`@daily` triggered at
 * 18:51 on 12-01 covers [11-30, 12-01)), whatever startDate/endDate; manual-only, `@once` and
 * dataset-scheduled DAGs have no interval to complete, so `[now, now]`. The run's logical date is
 * the interval's start.
 */
export function manualRunInterval(s: CompiledSchedule, now: Date): DataInterval {
  const t = toMs(now, "now");
  const k = kindOf(s);
  if (k.kind !== "cron") return interval(t, t);
  const end = k.fires.latestAtOrBefore(t);
  return interval(k.fires.latestAtOrBefore(end - 1), end);
}

/** The run id of a run: `${runType}__${logicalDate ISO}` (Airflow's form, e.g. "scheduled__2024-01-01T00:00:00.000Z"). */
export function runIdFor(runType: string, logicalDate: Date): string {
  return `${runType}__${new Date(toMs(logicalDate, "logicalDate")).toISOString()}`;
}
