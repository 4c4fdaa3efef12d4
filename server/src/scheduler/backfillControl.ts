import { BackfillState, RunState } from "../model/states";
import { activeBackfillRunIds, setBackfillState, type BackfillDateRow } from "../store/backfills";
import type { Db } from "../store/db";
import { cancelRun, TaskActionError } from "../store/taskActions";
import { BackfillAction } from "../model/states";
import { estimateEtaSeconds } from "./planBackfill";

/** A backfill's progress: counts by where its dates are, percent done and an ETA. */
export interface BackfillProgressCounts {
  total: number;
  pending: number;
  queued: number;
  running: number;
  success: number;
  failed: number;
  canceled: number;
  skipped: number;
  percent: number;
  etaSeconds: number | null;
}

/**
 * Progress from the backfill's dates (pure): skipped dates count apart; a launched date counts
 * by its run's state; the ETA uses the durations of the runs that ended (see estimateEtaSeconds).
 */
export function summarizeBackfill(dates: readonly BackfillDateRow[], maxActiveRuns: number): BackfillProgressCounts {
  const c: BackfillProgressCounts = { total: 0, pending: 0, queued: 0, running: 0, success: 0, failed: 0, canceled: 0, skipped: 0, percent: 0, etaSeconds: null };
  const durations: number[] = [];
  for (const d of dates) {
    if (d.action === BackfillAction.skip) {
      c.skipped++;
      continue;
    }
    c.total++;
    if (d.launched_at === null) c.pending++;
    else if (d.run_state !== null) c[d.run_state]++;
    if (d.start_date && d.end_date && (d.run_state === RunState.success || d.run_state === RunState.failed)) durations.push(d.end_date.getTime() - d.start_date.getTime());
  }
  const ended = c.success + c.failed + c.canceled;
  c.percent = c.total ? Math.round((1000 * ended) / c.total) / 10 : 100;
  c.etaSeconds = estimateEtaSeconds({ finishedDurationsMs: durations, remaining: c.pending + c.queued + c.running, maxActiveRuns });
  return c;
}

/**
 * Cancels a backfill: it stops launching runs (state canceled, under its lock, so no scheduler
 * launches another date after this), then its queued/running runs are canceled with the run
 * cancel verb. Runs that ended stay as they are (finished partitions are kept).
 * @returns null when the backfill is not running/paused, else the runs canceled.
 */
export async function cancelBackfill(db: Db, id: number): Promise<number[] | null> {
  if (!(await setBackfillState(db, id, BackfillState.canceled, [BackfillState.queued, BackfillState.running, BackfillState.paused]))) return null;
  const canceled: number[] = [];
  for (const runId of await activeBackfillRunIds(db, id)) {
    try {
      await cancelRun(db, runId);
      canceled.push(runId);
    } catch (err) {
      // The run ended between the read and the cancel: nothing to stop.
      if (!(err instanceof TaskActionError && err.code === "conflict")) throw err;
    }
  }
  return canceled;
}

/** Pauses (stops launching runs; active ones finish) or resumes a backfill. @returns whether it changed. */
export async function pauseBackfill(db: Db, id: number, paused: boolean): Promise<boolean> {
  return paused ? setBackfillState(db, id, BackfillState.paused, [BackfillState.running, BackfillState.queued]) : setBackfillState(db, id, BackfillState.running, [BackfillState.paused]);
}
