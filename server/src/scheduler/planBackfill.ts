import { TERMINAL_RUN_STATES, type RunState } from "../sdk/states";

/** How a backfill treats dates that already have a run. Persisted strings (backfills.reprocess). */
export const ReprocessMode = {
  /** Only dates with no run get one; existing runs are left alone. */
  missing: "missing",
  /** Also clear the failed/upstream_failed task instances of existing ended runs. */
  failed: "failed",
  /** Also clear every task instance of existing ended runs: everything reruns. */
  all: "all",
} as const;
export type ReprocessMode = (typeof ReprocessMode)[keyof typeof ReprocessMode];
export const REPROCESS_MODES = Object.values(ReprocessMode) as readonly ReprocessMode[];

/** In which order a backfill launches its dates. Persisted strings (backfills.run_order). */
export const BackfillOrder = { oldest: "oldest", newest: "newest" } as const;
export type BackfillOrder = (typeof BackfillOrder)[keyof typeof BackfillOrder];
export const BACKFILL_ORDERS = Object.values(BackfillOrder) as readonly BackfillOrder[];

/** What a backfill does on one date. Persisted strings (backfill_dates.action). */
export const BackfillAction = {
  /** No run for the date: the backfill creates one (run_type backfill). */
  create: "create",
  /** An ended run exists and the reprocess mode says rerun it: the backfill clears it. */
  clear: "clear",
  /** A run exists and stays as it is (already fine for the mode, or still active). */
  skip: "skip",
} as const;
export type BackfillAction = (typeof BackfillAction)[keyof typeof BackfillAction];
export const BACKFILL_ACTIONS = Object.values(BackfillAction) as readonly BackfillAction[];

/** The run a date already has, as the planner needs it. */
export interface ExistingRun {
  state: RunState;
  /** Whether any task instance is failed or upstream_failed. */
  hasFailedTasks: boolean;
}

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

