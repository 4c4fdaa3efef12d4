import { toMs } from "./dates";
import type { CompiledSchedule } from "./types";

/** A part of a requested range, as instants. */
export interface DateSpan {
  from: Date;
  to: Date;
}

/**
 * A requested backfill range `[from, to]` clipped to the DAG's dates, as Airflow's
 * `iter_dagrun_infos_between` does: logical dates before `startDate` or after `endDate` are
 * left out rather than refused.
 */
export interface ClippedRange {
  requested: DateSpan;
  /** `requested` within `[startDate, endDate]` (closed); null when none of it is. */
  inside: DateSpan | null;
  /** The requested dates before the DAG's startDate: `[requested.from, startDate)`; null when none. */
  beforeStartDate: DateSpan | null;
  /** The requested dates after the DAG's endDate: `(endDate, requested.to]`; null when none. */
  afterEndDate: DateSpan | null;
}

/** Clips `[from, to]` (from <= to) to the schedule's startDate..endDate. Pure. */
export function clipToDagDates(s: CompiledSchedule, from: Date, to: Date): ClippedRange {
  const lo = toMs(from, "from");
  const hi = toMs(to, "to");
  const start = s.startDate?.getTime() ?? -Infinity;
  const end = s.endDate?.getTime() ?? Infinity;
  const span = (a: number, b: number): DateSpan => ({ from: new Date(a), to: new Date(b) });
  const inLo = Math.max(lo, start);
  const inHi = Math.min(hi, end);
  return {
    requested: span(lo, hi),
    inside: inLo <= inHi ? span(inLo, inHi) : null,
    beforeStartDate: lo < start ? span(lo, Math.min(hi, start)) : null,
    afterEndDate: hi > end ? span(Math.max(lo, end), hi) : null,
  };
}
