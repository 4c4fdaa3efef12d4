const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "in 5 min", "3 h ago", "in 2 d": a compact distance between `iso` and `now`. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const delta = new Date(iso).getTime() - now.getTime();
  const abs = Math.abs(delta);
  const amount = abs < MINUTE ? "<1 min" : abs < HOUR ? `${Math.round(abs / MINUTE)} min` : abs < DAY ? `${Math.round(abs / HOUR)} h` : `${Math.round(abs / DAY)} d`;
  return delta >= 0 ? `in ${amount}` : `${amount} ago`;
}

/** "2024-01-05 00:00 UTC": unambiguous, the way schedules are defined. */
export function utcDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "2024-01-05" when the time is midnight UTC (daily partitions), else the full UTC date-time. */
export function logicalDateLabel(iso: string): string {
  const full = utcDateTime(iso);
  return full.endsWith("00:00 UTC") ? full.slice(0, 10) : full;
}

/** "14:03:27 UTC": the time of day, to the second (task durations are often seconds). */
export function utcTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(11, 19)} UTC`;
}
