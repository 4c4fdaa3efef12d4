/**
 * The one error the schedule module throws for bad input. It is recognised by a global
 * symbol as well as by `instanceof`, because DAG files are loaded in their own module
 * graphs and may hold a different copy of this class (see `sdk/errors.ts`).
 */
const BRAND = Symbol.for("runnel.scheduleError");

/**
 * A schedule, timezone, date or range that cannot be used. The message names the offending
 * value and says what is wrong with it, so it can be shown to a DAG author as is.
 */
export class ScheduleError extends Error {
  override readonly name = "ScheduleError";
  readonly code = "INVALID_SCHEDULE" as const;
  readonly [BRAND] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for a ScheduleError from any copy of this module. */
export function isScheduleError(err: unknown): err is ScheduleError {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}
