import type { CronExpression } from "cron-parser";

/**
 * The cron as croniter (and so Airflow) reads its day fields: a day-of-month field that covers
 * every day (`1-31`, `*\/1`, `1-15,16-31`) or a day-of-week field that covers every weekday
 * (`0-6`, `1-7`, `0-7`, `sun-sat`) is `*`.
 *
 * It matters because of the day-of-month OR day-of-week rule: when both fields are restricted,
 * a day matches if either does. croniter tests "restricted" on the expanded values, so
 * `0 0 1-31 * 1` is Mondays only; cron-parser tests the text, so it would be every day.
 * `parsed` is `cron` parsed by cron-parser (its expanded fields); other fields are unchanged.
 */
export function withCroniterDayFields(cron: string, parsed: CronExpression): string {
  const fields = cron.split(" ");
  const dom = parsed.fields.dayOfMonth.values;
  const dow = parsed.fields.dayOfWeek.values;
  // Non-numeric values (L, #) never make a field cover everything.
  const numbers = (values: readonly (number | string)[]): number[] | null => (values.every((v): v is number => typeof v === "number") ? [...values] : null);
  const days = numbers(dom);
  const weekdays = numbers(dow);
  if (days !== null && new Set(days).size === 31) fields[2] = "*";
  // cron-parser keeps 7 (Sunday again) next to 0; croniter folds it onto 0.
  if (weekdays !== null && new Set(weekdays.map((d) => d % 7)).size === 7) fields[4] = "*";
  return fields.join(" ");
}
