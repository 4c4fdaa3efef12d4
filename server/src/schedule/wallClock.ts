import { DAY_MS, type ZoneOffsets } from "./zoneOffsets";

/**
 * How a local wall-clock time that a DST change makes ambiguous or skips becomes an instant.
 *
 * - `"once"` (fixed-time schedules such as `30 2 * * *`, and dates a user writes): an
 *   ambiguous time (the repeated hour in autumn) means its second occurrence, the one after the
 *   change (`30 1 * * *` in America/New_York on 2024-11-03 fires at 01:30 EST = 06:30Z); a
 *   skipped time (the missing hour in spring) moves forward by the length of the gap
 *   (02:30 -> 03:30). This is Airflow's rule: its `make_aware` sets `fold=1` before pendulum
 *   resolves the wall time (Airflow's own `test_exiting_fold` asserts it). The job runs once
 *   that day, never twice, never zero times.
 * - `"every"` (schedules whose hour field is `*`, such as `@hourly` or `*\/15 * * * *`): an
 *   ambiguous time yields both instants and a skipped time yields none, so the job keeps
 *   firing at the same real-time pace straight through the change.
 */
export type WallTimePolicy = "once" | "every";

/**
 * The instants (ms, ascending) at which local wall time `wall` (naive ms) occurs in a zone,
 * resolved by `policy`. Compares the offsets a day either side of `wall`: real zones never
 * change offset twice within two days, so at most one change lies between them.
 */
export function instantsForWallTime(zone: ZoneOffsets, wall: number, policy: WallTimePolicy): number[] {
  const before = zone.offsetAt(wall - DAY_MS);
  const after = zone.offsetAt(wall + DAY_MS);
  if (before === after) return [wall - before];
  const early = wall - before;
  const late = wall - after;
  const earlyOk = zone.offsetAt(early) === before;
  const lateOk = zone.offsetAt(late) === after;
  if (earlyOk && lateOk) {
    const both = early < late ? [early, late] : [late, early];
    // "once": the occurrence with the offset after the change (fold=1), i.e. the later one.
    return policy === "every" ? both : [late];
  }
  if (earlyOk) return [early];
  if (lateOk) return [late];
  // In the gap: reading the wall time with the offset from before the change lands the same
  // distance past the change as the wall time lies past its start (02:30 -> 03:30 CEST).
  return policy === "every" ? [] : [wall - before];
}

/** The single instant for a wall time a person wrote (policy "once"). */
export function wallTimeToInstant(zone: ZoneOffsets, wall: number): number {
  const [instant] = instantsForWallTime(zone, wall, "once");
  // "once" always yields exactly one instant; the fallback only satisfies the type checker.
  return instant ?? wall - zone.offsetAt(wall);
}
