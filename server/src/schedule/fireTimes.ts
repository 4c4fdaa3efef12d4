import { CronExpressionParser, type CronExpression } from "cron-parser";
import { withCroniterDayFields } from "./cronDayFields";
import { instantsForWallTime, type WallTimePolicy } from "./wallClock";
import { DAY_MS, MINUTE_MS, type ZoneOffsets } from "./zoneOffsets";

/*
 * Fire times of a 5-field cron in a timezone.
 *
 * The cron's fields are matched against local wall-clock time. cron-parser walks that
 * wall-clock time on a DST-free ("naive", UTC) timeline, where next() and prev() are exact
 * mirrors; `instantsForWallTime` then turns each matching wall time into real instants (see
 * `WallTimePolicy` for the DST rules). The fire times are thus one fixed set of instants, and
 * "next after t", "latest at or before t" and "is t a fire time" all agree, whatever t.
 *
 * cron-parser's own `tz` option is not used: across DST changes its next() and prev() return
 * different sets, and its next() skips or adds a fire time depending on where it starts
 * (e.g. `30 2 * * *` in Europe/Berlin starting inside the repeated hour), which would let
 * a backfill create a logical date the scheduler never would.
 *
 * Day fields are read as croniter reads them (see `withCroniterDayFields`), so the schedule
 * fires on the days Airflow's would.
 */

// A wall time maps to an instant at most one offset away, so only a few candidates are read
// per call; the cap turns a logic error into an exception instead of a hang.
const MAX_CANDIDATES = 10_000;

/** Stateless view over the fire times of one cron in one zone (the iterator is reset per call). */
export class FireTimes {
  private readonly naive: CronExpression;
  private readonly policy: WallTimePolicy;

  /** `cron` must already be validated (see `parseCron`). */
  constructor(
    readonly cron: string,
    private readonly zone: ZoneOffsets,
  ) {
    const options = { tz: "UTC", currentDate: new Date(0) };
    const asWritten = CronExpressionParser.parse(cron, options);
    const asCroniter = withCroniterDayFields(cron, asWritten);
    this.naive = asCroniter === cron ? asWritten : CronExpressionParser.parse(asCroniter, options);
    // An hour field of `*` marks a "runs all day" schedule, which must fire at a steady
    // real-time pace through DST changes; any other keeps its wall-clock time.
    this.policy = this.naive.fields.hour.values.length === 24 ? "every" : "once";
  }

  /** The first fire time strictly after instant `t` (ms). */
  nextAfter(t: number): number {
    const around = this.offsetsAround(t);
    let max = around.max;
    this.naive.reset(new Date(t + around.min));
    let best = Infinity;
    for (let i = 0; i < MAX_CANDIDATES; i++) {
      const wall = this.naive.next().getTime();
      max = Math.max(max, this.zone.offsetAt(wall - DAY_MS), this.zone.offsetAt(wall + DAY_MS));
      for (const instant of instantsForWallTime(this.zone, wall, this.policy)) {
        if (instant > t && instant < best) best = instant;
      }
      // Later wall times are at least a minute later and map to instants >= that - max, so
      // once `best` is below that bound no later candidate can beat it (usually: at once).
      if (best <= wall + MINUTE_MS - max) return best;
    }
    throw new Error(`schedule "${this.cron}": no fire time found after ${new Date(t).toISOString()}`);
  }

  /** The latest fire time at or before instant `t` (ms). */
  latestAtOrBefore(t: number): number {
    const around = this.offsetsAround(t);
    let min = around.min;
    // prev() is strictly before its start, and any instant <= t has a wall time <= t + max.
    this.naive.reset(new Date(t + around.max + 1));
    let best = -Infinity;
    for (let i = 0; i < MAX_CANDIDATES; i++) {
      const wall = this.naive.prev().getTime();
      min = Math.min(min, this.zone.offsetAt(wall - DAY_MS), this.zone.offsetAt(wall + DAY_MS));
      for (const instant of instantsForWallTime(this.zone, wall, this.policy)) {
        if (instant <= t && instant > best) best = instant;
      }
      // Earlier wall times are at least a minute earlier and map to instants <= that - min.
      if (best >= wall - MINUTE_MS - min) return best;
    }
    throw new Error(`schedule "${this.cron}": no fire time found before ${new Date(t).toISOString()}`);
  }

  /** Whether instant `t` is one of the fire times. */
  isFireTime(t: number): boolean {
    return this.latestAtOrBefore(t) === t;
  }

  /** The smallest and largest offsets in effect within two days of `t`. */
  private offsetsAround(t: number): { min: number; max: number } {
    const offsets = [this.zone.offsetAt(t - 2 * DAY_MS), this.zone.offsetAt(t), this.zone.offsetAt(t + 2 * DAY_MS)];
    return { min: Math.min(...offsets), max: Math.max(...offsets) };
  }
}
