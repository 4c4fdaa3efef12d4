import { CronExpressionParser } from "cron-parser";
import { parseDateInZone } from "./dates";
import { ScheduleError } from "./errors";
import { FireTimes } from "./fireTimes";
import { ONCE, SCHEDULE_PRESETS, expandPreset } from "./presets";
import type { CompiledSchedule, ScheduleSpec } from "./types";
import { canonicalTimezone, zoneOffsets } from "./zoneOffsets";

// cron-parser's `H` picks a random value unless seeded; a schedule must be reproducible.
const HASH_FIELD_RE = /(^|[^a-z])h(?![a-z])/i;

/**
 * Checks a 5-field cron expression and returns it with whitespace normalised.
 * @throws ScheduleError naming the expression and what is wrong with it.
 */
export function parseCron(expression: string): string {
  const cron = expression.trim().split(/\s+/).join(" ");
  const invalid = (why: string): ScheduleError => new ScheduleError(`invalid cron expression ${JSON.stringify(expression)}: ${why}`);
  const fields = cron.split(" ");
  if (fields.length !== 5 || cron === "") {
    throw invalid(`expected 5 fields (minute hour day-of-month month day-of-week), got ${cron === "" ? 0 : fields.length}`);
  }
  if (HASH_FIELD_RE.test(cron)) throw invalid("hashed values (H) are not supported");
  try {
    // Parse, and step once: some expressions only fail when they are iterated.
    CronExpressionParser.parse(cron, { tz: "UTC", currentDate: new Date(0) }).next();
  } catch (err) {
    throw invalid(err instanceof Error ? err.message : String(err));
  }
  return cron;
}

/** The preset's cron, "@once", a checked 5-field cron, or null for manual-only. */
function compileCron(schedule: string | null): string | null {
  if (schedule === null) return null;
  if (typeof schedule !== "string") {
    throw new ScheduleError(`schedule must be a cron expression, a preset such as "@daily", or null; got ${String(schedule)}`);
  }
  const trimmed = schedule.trim();
  if (trimmed.startsWith("@")) {
    const cron = expandPreset(trimmed.toLowerCase());
    if (cron === undefined) {
      throw new ScheduleError(`unknown schedule preset ${JSON.stringify(schedule)} (use one of ${Object.keys(SCHEDULE_PRESETS).join(", ")})`);
    }
    return cron;
  }
  return parseCron(schedule);
}

function compileDate(value: string | null, timezone: string, what: "startDate" | "endDate"): Date | null {
  if (value === null || value === undefined) return null;
  return parseDateInZone(value, timezone, what);
}

/**
 * Validates a DAG's schedule options and reads its dates in its timezone.
 *
 * Rules: `schedule` is a 5-field cron, a preset (`@once @hourly @daily @weekly @monthly
 * @quarterly @yearly @annually`) or null (manual only); `timezone` is an IANA name;
 * `startDate` is required unless manual; `endDate`, when given, is not before `startDate`.
 * @throws ScheduleError whose message names the offending option and value.
 */
export function compileSchedule(spec: ScheduleSpec): CompiledSchedule {
  const timezone = canonicalTimezone(spec.timezone);
  const cron = compileCron(spec.schedule);
  const startDate = compileDate(spec.startDate, timezone, "startDate");
  const endDate = compileDate(spec.endDate, timezone, "endDate");
  if (typeof spec.catchup !== "boolean") throw new ScheduleError(`catchup must be true or false, got ${String(spec.catchup)}`);
  if (cron !== null && startDate === null) {
    throw new ScheduleError(`a scheduled DAG needs a startDate (schedule ${JSON.stringify(spec.schedule)})`);
  }
  if (startDate !== null && endDate !== null && endDate < startDate) {
    throw new ScheduleError(`endDate ${JSON.stringify(spec.endDate)} is before startDate ${JSON.stringify(spec.startDate)}`);
  }
  if (cron !== null && cron !== ONCE && startDate !== null) {
    assertFiresFrom(cron, timezone, startDate);
  }
  return Object.freeze({ spec: Object.freeze({ ...spec }), cron, startDate, endDate, timezone });
}

/** cron-parser gives up on dates beyond its range (year 9999 and so on): fail now, not when scheduling. */
function assertFiresFrom(cron: string, timezone: string, startDate: Date): void {
  try {
    new FireTimes(cron, zoneOffsets(timezone)).nextAfter(startDate.getTime() - 1);
  } catch (err) {
    throw new ScheduleError(`schedule ${JSON.stringify(cron)} never fires after startDate ${startDate.toISOString()}`, { cause: err });
  }
}
