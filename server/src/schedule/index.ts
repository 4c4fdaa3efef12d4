/**
 * Schedule math: cron, presets and timezones in, data intervals out. Pure (no I/O, no clock:
 * callers pass `now`), so the scheduler, backfills, the API and the UI all agree.
 *
 * Semantics are Airflow's: a run covers a data interval `[start, end)`, its logical date is
 * `start`, and it is due once `end <= now` (`@daily` for 2024-01-01 runs just after
 * 2024-01-02 00:00). Cron fields are read in the DAG's timezone; across DST changes a
 * fixed-time cron runs once a day (a skipped time moves forward by the gap, a repeated time
 * runs at its second occurrence, as in Airflow) and an hour-wildcard cron keeps its real-time
 * pace. Day fields that cover every day are `*`, as croniter reads them. See `wallClock.ts`,
 * `cronDayFields.ts` and `fireTimes.ts` for why.
 */
export type { CompiledSchedule, DataInterval, ScheduleSpec } from "./types";
export { ScheduleError, isScheduleError } from "./errors";
export { SCHEDULE_PRESETS, type SchedulePreset } from "./presets";
export { compileSchedule, parseCron } from "./compileSchedule";
export { parseDateInZone, formatDs, partitionInterval, partitionKey } from "./dates";
export {
  intervalForLogicalDate,
  nextInterval,
  intervalsInRange,
  dueIntervals,
  inferManualInterval,
  manualRunInterval,
  runIdFor,
} from "./dataIntervals";
export { describeDagSchedule, describeSchedule } from "./describeSchedule";
export { clipToDagDates, type ClippedRange, type DateSpan } from "./backfillRange";
