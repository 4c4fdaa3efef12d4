import type { Knex } from "knex";
import type { LoadedDag } from "../dags/dagFolder";
import type { Logger } from "../obs/logger";
import { runIdFor } from "../schedule/index";
import { TERMINAL_RUN_STATES } from "../model/states";
import {
  completeBackfillIfDone,
  countActiveBackfillRuns,
  existingRunsInRange,
  getBackfill,
  markDateLaunched,
  pendingDates,
  runningBackfillIds,
  tryLockBackfill,
  type BackfillRow,
  type PendingDate,
} from "../store/backfills";
import type { Db } from "../store/db";
import type { ReadyDispatch } from "../store/taskInstances";
import { createRun } from "../store/runs";
import { clearTaskInstances } from "../store/taskActions";
import { BackfillAction, ReprocessMode } from "../model/states";

export interface BackfillDeps {
  db: Db;
  dags: { get(dagId: string): LoadedDag | undefined; versionId(dagId: string): number | undefined };
  dispatch: ReadyDispatch;
  log: Logger;
}

/** What one pass did. */
export interface AdvanceResult {
  launched: number;
  completed: number;
}

/**
 * Launches one date: creates its backfill run, or clears the date's existing run. A date whose
 * run appeared since planning (the scheduler, an overlapping backfill) is linked to that run
 * instead: the unique (dag_id, logical_date) index makes a second create a no-op. A clear of a
 * run that is active again just links it. @returns the run now linked to the date.
 */
async function launchDate(deps: BackfillDeps, b: BackfillRow, loaded: LoadedDag, versionId: number, d: PendingDate): Promise<number | null> {
  const current = (await existingRunsInRange(deps.db, b.dag_id, d.logicalDate, d.logicalDate)).get(d.logicalDate.getTime());
  if (d.action === BackfillAction.clear && current) {
    if (TERMINAL_RUN_STATES.has(current.state)) {
      const cleared = await clearTaskInstances(deps.db, current.id, { failedOnly: b.reprocess === ReprocessMode.failed }, deps.dispatch);
      await deps.dispatch.dispatch(cleared);
    }
    return current.id;
  }
  const created = await createRun(deps.db, {
    dagId: b.dag_id,
    runId: runIdFor("backfill", d.logicalDate),
    runType: "backfill",
    logicalDate: d.logicalDate,
    dataIntervalStart: d.logicalDate,
    dataIntervalEnd: d.dataIntervalEnd,
    versionId,
    graph: loaded.serialized,
    conf: b.conf,
    backfillId: b.id,
  });
  if (created !== null) return created;
  return (await existingRunsInRange(deps.db, b.dag_id, d.logicalDate, d.logicalDate)).get(d.logicalDate.getTime())?.id ?? null;
}

/** Most runs one backfill launches per scheduler tick. */
export const LAUNCHES_PER_TICK = 25;

/** One backfill under its advisory lock (another scheduler holding it skips it). */
async function advanceOne(deps: BackfillDeps, trx: Knex.Transaction, id: number): Promise<AdvanceResult> {
  const none = { launched: 0, completed: 0 };
  if (!(await tryLockBackfill(trx, id))) return none;
  const b = await getBackfill(trx, id);
  if (!b || b.state !== "running") return none;
  const loaded = deps.dags.get(b.dag_id);
  const versionId = deps.dags.versionId(b.dag_id);
  let launched = 0;
  if (loaded && versionId !== undefined) {
    // Capped per tick so a backfill with a large maxActiveRuns cannot hold up a tick (and with
    // it the admission of fresh work) while it launches hundreds of runs one by one.
    const room = Math.min(b.max_active_runs - (await countActiveBackfillRuns(trx, id)), LAUNCHES_PER_TICK);
    for (const d of room > 0 ? await pendingDates(trx, id, b.run_order, room) : []) {
      const dagRunId = await launchDate(deps, b, loaded, versionId, d);
      if (await markDateLaunched(trx, id, d.logicalDate, dagRunId)) launched++;
    }
  }
  const completed = (await completeBackfillIfDone(trx, id)) ? 1 : 0;
  if (launched || completed) deps.log.info({ backfillId: id, dagId: b.dag_id, launched, completed: completed === 1 }, "advanced backfill");
  return { launched, completed };
}

/**
 * The scheduler's backfill step, on every tick: for each running backfill, launches its next
 * dates (in its order) while fewer than its maxActiveRuns runs are queued or running, and
 * completes it once every date is launched and every run it launched has ended. Safe with
 * several schedulers: each backfill is advanced under a transaction-level advisory lock
 * (`pg_try_advisory_xact_lock`), so two never launch the same dates; a crash between a launch
 * and its commit re-launches the date, which the unique index (create) makes harmless.
 */
export async function advanceBackfills(deps: BackfillDeps): Promise<AdvanceResult> {
  const total = { launched: 0, completed: 0 };
  for (const id of await runningBackfillIds(deps.db)) {
    const r = await deps.db.transaction((trx) => advanceOne(deps, trx, id));
    total.launched += r.launched;
    total.completed += r.completed;
  }
  return total;
}
