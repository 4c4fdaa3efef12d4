/**
 * Schedule presets, Airflow's names. `@once` is not a cron: it is one run at `startDate`.
 * `@quarterly` and `@annually` are accepted as Airflow (and cron) users expect them.
 */
export const SCHEDULE_PRESETS = {
  "@once": "@once",
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@quarterly": "0 0 1 */3 *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
} as const;
export type SchedulePreset = keyof typeof SCHEDULE_PRESETS;

/** The marker `CompiledSchedule.cron` holds for `@once`. */
export const ONCE = "@once";

/** The cron a preset stands for ("@once" for `@once`), or undefined when `name` is not a preset. */
export function expandPreset(name: string): string | undefined {
  return Object.hasOwn(SCHEDULE_PRESETS, name) ? SCHEDULE_PRESETS[name as SchedulePreset] : undefined;
}
