import { IANAZone } from "luxon";
import { ScheduleError } from "./errors";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** A zone's UTC offset over one block of days: constant, or one change at `transitionAt`. */
interface BlockOffsets {
  before: number;
  after: number;
  transitionAt: number;
}

// Asking Intl for an offset costs several microseconds and interval iteration asks for a few
// per fire time, so offsets are memoised per block of 7 UTC days (~900 years at the cap).
const BLOCK_MS = 7 * DAY_MS;
const MAX_CACHED_BLOCKS = 50_000;

/**
 * The UTC offsets (in ms, local = utc + offset) of one IANA timezone. Assumes at most one
 * offset change per 7 days, which holds for real zones: changes are weeks or months apart.
 */
export class ZoneOffsets {
  private readonly blocks = new Map<number, BlockOffsets>();
  private readonly zone: IANAZone;

  constructor(readonly name: string) {
    this.zone = IANAZone.create(name);
  }

  /** The offset in effect at instant `ms`. */
  offsetAt(ms: number): number {
    const block = Math.floor(ms / BLOCK_MS);
    let b = this.blocks.get(block);
    if (b === undefined) {
      if (this.blocks.size >= MAX_CACHED_BLOCKS) this.blocks.clear();
      b = this.loadBlock(block);
      this.blocks.set(block, b);
    }
    return ms < b.transitionAt ? b.before : b.after;
  }

  /** Local wall-clock time of instant `ms`, as ms on a DST-free timeline ("naive" time). */
  toWall(ms: number): number {
    return ms + this.offsetAt(ms);
  }

  private raw(ms: number): number {
    return Math.round(this.zone.offset(ms) * MINUTE_MS);
  }

  private loadBlock(block: number): BlockOffsets {
    const start = block * BLOCK_MS;
    const last = start + BLOCK_MS - 1;
    const before = this.raw(start);
    const after = this.raw(last);
    if (before === after) return { before, after, transitionAt: Infinity };
    // Binary search for the first instant with the new offset (~30 probes, once per change).
    let lo = start;
    let hi = last;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.raw(mid) === before) lo = mid;
      else hi = mid;
    }
    return { before, after, transitionAt: hi };
  }
}

const zones = new Map<string, ZoneOffsets>();

/**
 * The canonical IANA name of `timezone` ("utc" -> "UTC", "europe/berlin" -> "Europe/Berlin").
 * Throws ScheduleError for a name Intl does not know.
 */
export function canonicalTimezone(timezone: string): string {
  if (typeof timezone !== "string" || timezone.trim() === "" || !IANAZone.isValidZone(timezone)) {
    throw new ScheduleError(`unknown timezone ${JSON.stringify(timezone)} (use an IANA name such as "UTC" or "Europe/Berlin")`);
  }
  return new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
}

/** The (shared, memoised) offsets of a timezone. Throws ScheduleError for an unknown zone. */
export function zoneOffsets(timezone: string): ZoneOffsets {
  let z = zones.get(timezone);
  if (z === undefined) {
    z = new ZoneOffsets(canonicalTimezone(timezone));
    zones.set(timezone, z);
  }
  return z;
}
