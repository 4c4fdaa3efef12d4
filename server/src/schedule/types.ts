/**
 * A data interval `[start, end)`. Its logical date is `start`. For `@once` and manual runs
 * `start` equals `end`.
 */
export interface DataInterval {
  start: Date;
  end: Date;
}

/** A DAG's schedule options as written by its author (strings, not yet validated). */
export interface ScheduleSpec {
  /** A 5-field cron, a preset such as "@daily", "@once", or null for manual-only. */
  schedule: string | null;
  /** IANA timezone the cron fields and date-only strings are read in. */
  timezone: string;
  /** "YYYY-MM-DD" (midnight in `timezone`) or an ISO date-time. Required when scheduled. */
  startDate: string | null;
  /** Last logical date, inclusive; same formats as `startDate`. */
  endDate: string | null;
  /** Create every missed interval (true) or only the latest closed one (false). */
  catchup: boolean;
}

/**
 * A validated schedule, produced by `compileSchedule`. Plain data: it may be rebuilt from
 * storage with the same fields and used with every function of this module.
 */
export interface CompiledSchedule {
  readonly spec: ScheduleSpec;
  /** The cron with presets expanded; "@once"; or null for manual-only. */
  readonly cron: string | null;
  readonly startDate: Date | null;
  readonly endDate: Date | null;
  /** The canonical IANA name of the spec's timezone (e.g. "utc" becomes "UTC"). */
  readonly timezone: string;
}
