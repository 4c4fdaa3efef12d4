/**
 * How long history is kept (`runnel db clean --before`, RUNNEL_RETENTION): a whole number of
 * days, hours or minutes such as `90d`, `12h`, `30m`.
 */
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;
const RETENTION_RE = /^([1-9][0-9]*)(d|h|m)$/;

/** Milliseconds of a retention such as `90d`; null when the text is not one. */
export function parseRetentionMs(text: string): number | null {
  const m = RETENTION_RE.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The message for a text that is not a retention. */
export const RETENTION_FORMAT = "must be a whole number of days, hours or minutes, e.g. 90d, 12h or 30m";
