import type { ExistingRun } from "../model/backfill";
import { BackfillAction, BackfillOrder, ReprocessMode, TERMINAL_RUN_STATES } from "../model/states";

/** The plan of a backfill: logical dates (launch order) to create, to clear and to leave alone. */
export interface BackfillPlan {
  create: Date[];
  clear: Date[];
  skip: Date[];
}

/** The action for one date given its existing run (undefined = none) and the reprocess mode. */
export function actionFor(existing: ExistingRun | undefined, reprocess: ReprocessMode): BackfillAction {
  if (!existing) return BackfillAction.create;
  // An active run is already doing the work; clearing it would fight with it.
  if (!TERMINAL_RUN_STATES.has(existing.state)) return BackfillAction.skip;
  switch (reprocess) {
    case ReprocessMode.missing:
      return BackfillAction.skip;
    case ReprocessMode.failed:
      return existing.hasFailedTasks ? BackfillAction.clear : BackfillAction.skip;
    case ReprocessMode.all:
      return BackfillAction.clear;
  }
}

/**
 * Plans a backfill, purely: for each logical date (in `order`), create a run when none exists,
 * clear the existing run when `reprocess` asks for it and the run has ended, else skip.
 * `existing` is keyed by the logical date's epoch milliseconds.
 */
export function planBackfill(logicalDates: readonly Date[], existing: ReadonlyMap<number, ExistingRun>, reprocess: ReprocessMode, order: BackfillOrder = BackfillOrder.oldest): BackfillPlan {
  const sorted = [...logicalDates].sort((a, b) => (order === BackfillOrder.oldest ? a.getTime() - b.getTime() : b.getTime() - a.getTime()));
  const plan: BackfillPlan = { create: [], clear: [], skip: [] };
  for (const date of sorted) plan[actionFor(existing.get(date.getTime()), reprocess)].push(date);
  return plan;
}

/** A plan with ISO UTC strings (what the API, the CLI and the dry run print). */
export function planToIso(plan: BackfillPlan): { create: string[]; clear: string[]; skip: string[] } {
  const iso = (ds: Date[]) => ds.map((d) => d.toISOString());
  return { create: iso(plan.create), clear: iso(plan.clear), skip: iso(plan.skip) };
}

/** Inputs of the ETA. */
export interface EtaInput {
  /** Durations (ms) of the backfill's runs that ended. */
  finishedDurationsMs: readonly number[];
  /** Dates still to launch plus runs still active. */
  remaining: number;
  maxActiveRuns: number;
}

/**
 * Seconds until the backfill is expected to finish: average finished run duration × remaining
 * runs / maxActiveRuns (they run that many at a time). null before any run has finished; 0 when
 * nothing remains.
 */
export function estimateEtaSeconds(input: EtaInput): number | null {
  if (input.remaining === 0) return 0;
  if (!input.finishedDurationsMs.length) return null;
  const avg = input.finishedDurationsMs.reduce((a, b) => a + b, 0) / input.finishedDurationsMs.length;
  return Math.round((avg * input.remaining) / Math.max(1, input.maxActiveRuns) / 1000);
}

