import { BackfillState, ReprocessState, RunType, TERMINAL_RUN_STATES, UNSETTLED_DEAD_LETTER_STATUSES } from "../model/states";
import { OPEN_DELIVERY_STATES } from "../model/alerts";
import type { Knex } from "knex";
import type { Db } from "./db";

/**
 * `runnel db clean` / RUNNEL_RETENTION: deletes ended runs and what hangs off them.
 *
 * A run is deleted when it ended (success, failed, canceled) before the cutoff, by its
 * `end_date` (its `updated_at` when an ended run has none), and none of these keep it:
 * - one of its task instances wrote the latest event of a (dataset, partition): lineage still
 *   points at that write;
 * - it has an open (or replay-pending) dead letter: a person still has to act on it;
 * - it belongs to a backfill that is still queued, running or paused, or to a running reprocess;
 * - it is its DAG's newest scheduled run (run creation continues from it; deleting it would make
 *   catchup create the old intervals again).
 *
 * Deleted with a run: its task instances, their attempts and logs, check results, dataset reads,
 * closed dead letters (replayed/discarded/resolved) and their history, reprocess_runs rows.
 * Kept and unlinked (ON DELETE SET NULL): dataset_events (the partition's write history stays,
 * with no run), backfill_dates of finished backfills, alert events (they keep the run id and date
 * they name). Without `dagId`, expired login sessions are deleted too. API tokens have no expiry
 * and are kept (revoked ones stay for the audit trail).
 *
 * Alert events that occurred before the cutoff are deleted (their deliveries cascade) once they
 * are fanned out and every delivery is sent or given up; never one still on its way.
 *
 * Work goes in batches of `batchSize` runs, one short transaction each, locking the runs with
 * SKIP LOCKED so a run the engine holds is simply left for the next clean.
 */

/** Rows deleted (or, for a dry run, that would be) per table. Keys are table names. */
export interface CleanCounts {
  dag_runs: number;
  task_instances: number;
  task_attempts: number;
  task_logs: number;
  check_results: number;
  dataset_reads: number;
  dead_letters: number;
  dead_letter_history: number;
  reprocess_runs: number;
  /** Alert events (with their deliveries) that occurred before the cutoff, every delivery sent or given up. */
  alert_events: number;
  sessions: number;
}

export interface CleanOptions {
  /** Runs that ended before this are deleted. */
  before: Date;
  /** Only this DAG's runs (sessions are then left alone). */
  dagId?: string;
  /** Count, delete nothing. */
  dryRun?: boolean;
  /** Runs per transaction (default 500). */
  batchSize?: number;
}

const emptyCounts = (): CleanCounts => ({
  dag_runs: 0,
  task_instances: 0,
  task_attempts: 0,
  task_logs: 0,
  check_results: 0,
  dataset_reads: 0,
  dead_letters: 0,
  dead_letter_history: 0,
  reprocess_runs: 0,
  alert_events: 0,
  sessions: 0,
});

const ENDED = [...TERMINAL_RUN_STATES];
const UNSETTLED = [...UNSETTLED_DEAD_LETTER_STATUSES];
const ACTIVE_BACKFILLS = [BackfillState.queued, BackfillState.running, BackfillState.paused];

/** Ids (ascending, after `afterId`) of up to `limit` runs that may be deleted; locked when `lock`. */
async function candidateRuns(db: Db, o: CleanOptions, afterId: number, limit: number, lock: boolean): Promise<number[]> {
  const params: Knex.RawBinding[] = [ENDED, o.before, afterId];
  let dagFilter = "";
  if (o.dagId !== undefined) {
    params.push(o.dagId);
    dagFilter = `AND r.dag_id = ?`;
  }
  params.push(UNSETTLED, ACTIVE_BACKFILLS, ReprocessState.running, RunType.scheduled, RunType.scheduled, limit);
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    `SELECT r.id FROM dag_runs r
      WHERE r.state = ANY(?::text[]) AND coalesce(r.end_date, r.updated_at) < ? AND r.id > ? ${dagFilter}
        AND NOT EXISTS (
          SELECT 1 FROM task_instances ti JOIN dataset_events e ON e.task_instance_id = ti.id
           WHERE ti.dag_run_id = r.id
             -- Two branches so each can use dataset_events_dataset_idx (an OR on partition cannot).
             AND CASE WHEN e.partition IS NULL
                      THEN NOT EXISTS (SELECT 1 FROM dataset_events n WHERE n.dataset_id = e.dataset_id AND n.partition IS NULL AND n.id > e.id)
                      ELSE NOT EXISTS (SELECT 1 FROM dataset_events n WHERE n.dataset_id = e.dataset_id AND n.partition = e.partition AND n.id > e.id) END)
        AND NOT EXISTS (
          SELECT 1 FROM dead_letters d
           WHERE d.status = ANY(?::text[])
             AND (d.dag_run_id = r.id OR d.task_instance_id IN (SELECT id FROM task_instances WHERE dag_run_id = r.id)))
        AND NOT EXISTS (
          SELECT 1 FROM backfill_dates bd JOIN backfills b ON b.id = bd.backfill_id
           WHERE bd.dag_run_id = r.id AND b.state = ANY(?::text[]))
        AND NOT EXISTS (
          SELECT 1 FROM reprocess_runs rr JOIN reprocesses p ON p.id = rr.reprocess_id
           WHERE rr.dag_run_id = r.id AND p.state = ?)
        AND NOT (r.run_type = ? AND NOT EXISTS (
          SELECT 1 FROM dag_runs later WHERE later.dag_id = r.dag_id AND later.run_type = ? AND later.logical_date > r.logical_date))
      ORDER BY r.id
      LIMIT ?
      ${lock ? "FOR UPDATE OF r SKIP LOCKED" : ""}`,
    params,
  );
  return rows.map((r) => Number(r.id));
}

/** What deleting these runs deletes, per table. */
async function countFor(db: Db, runIds: number[]): Promise<RunCounts> {
  const { rows } = await db.raw<{ rows: Array<Record<string, string>> }>(
    `WITH ti AS (SELECT id FROM task_instances WHERE dag_run_id = ANY(:ids)),
          dl AS (SELECT id FROM dead_letters WHERE dag_run_id = ANY(:ids)
                 UNION SELECT id FROM dead_letters WHERE task_instance_id IN (SELECT id FROM ti))
     SELECT (SELECT count(*) FROM ti) AS task_instances,
            (SELECT count(*) FROM task_attempts WHERE task_instance_id IN (SELECT id FROM ti)) AS task_attempts,
            (SELECT count(*) FROM task_logs WHERE task_instance_id IN (SELECT id FROM ti)) AS task_logs,
            (SELECT count(*) FROM check_results WHERE dag_run_id = ANY(:ids) OR task_instance_id IN (SELECT id FROM ti)) AS check_results,
            (SELECT count(*) FROM dataset_reads WHERE dag_run_id = ANY(:ids) OR task_instance_id IN (SELECT id FROM ti)) AS dataset_reads,
            (SELECT count(*) FROM dl) AS dead_letters,
            (SELECT count(*) FROM dead_letter_history WHERE dead_letter_id IN (SELECT id FROM dl)) AS dead_letter_history,
            (SELECT count(*) FROM reprocess_runs WHERE dag_run_id = ANY(:ids)) AS reprocess_runs`,
    { ids: runIds },
  );
  const r = rows[0]!;
  return {
    dag_runs: runIds.length,
    task_instances: Number(r.task_instances),
    task_attempts: Number(r.task_attempts),
    task_logs: Number(r.task_logs),
    check_results: Number(r.check_results),
    dataset_reads: Number(r.dataset_reads),
    dead_letters: Number(r.dead_letters),
    dead_letter_history: Number(r.dead_letter_history),
    reprocess_runs: Number(r.reprocess_runs),
  };
}

/** The counts of what hangs off runs. */
type RunCounts = Omit<CleanCounts, "sessions" | "alert_events">;

function add(total: CleanCounts, part: RunCounts): void {
  for (const k of Object.keys(part) as Array<keyof typeof part>) total[k] += part[k];
}

/** Deletes (or with `dryRun`, counts) the history older than `before`; returns the counts per table. */
export async function cleanHistory(db: Db, o: CleanOptions): Promise<CleanCounts> {
  const batchSize = o.batchSize ?? 500;
  const total = emptyCounts();
  let afterId = 0;
  for (;;) {
    const done = await db.transaction(async (trx) => {
      const ids = await candidateRuns(trx, o, afterId, batchSize, !o.dryRun);
      if (ids.length === 0) return true;
      afterId = ids[ids.length - 1]!;
      add(total, await countFor(trx, ids));
      if (!o.dryRun) {
        // The run's dead letters are all closed (open ones keep the run): delete them rather than
        // leave them pointing at nothing. Their history cascades; the rest cascades from the run.
        await trx.raw(
          `DELETE FROM dead_letters WHERE dag_run_id = ANY(:ids)
              OR task_instance_id IN (SELECT id FROM task_instances WHERE dag_run_id = ANY(:ids))`,
          { ids },
        );
        await trx("dag_runs").whereIn("id", ids).delete();
      }
      return ids.length < batchSize;
    });
    if (done) break;
  }
  total.alert_events = await cleanAlertEvents(db, o, batchSize);
  if (o.dagId === undefined) {
    const expired = db("sessions").where("expires_at", "<", db.fn.now());
    total.sessions = o.dryRun ? Number((await expired.clone().count<Array<{ n: string }>>("* as n"))[0]!.n) : await expired.delete();
  }
  return total;
}

const OPEN_DELIVERIES = [...OPEN_DELIVERY_STATES];

/**
 * Deletes (or counts) the alert events of `o` that occurred before the cutoff, are fanned out and
 * have no open (pending/failing) delivery, in batches locked with SKIP LOCKED (an event a sender
 * is fanning out is left for the next clean). Their deliveries cascade.
 */
async function cleanAlertEvents(db: Db, o: CleanOptions, batchSize: number): Promise<number> {
  const dagFilter = o.dagId === undefined ? "" : "AND e.dag_id = :dagId";
  const done = `e.occurred_at < :before AND e.fanned_out_at IS NOT NULL ${dagFilter}
    AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.event_id = e.id AND d.state = ANY(CAST(:open AS text[])))`;
  const params = { before: o.before, dagId: o.dagId ?? null, open: OPEN_DELIVERIES, limit: batchSize };
  if (o.dryRun) {
    const { rows } = await db.raw<{ rows: Array<{ n: number }> }>(`SELECT count(*)::int AS n FROM alert_events e WHERE ${done}`, params);
    return rows[0]?.n ?? 0;
  }
  let total = 0;
  for (;;) {
    const { rows } = await db.raw<{ rows: unknown[] }>(
      `DELETE FROM alert_events WHERE id IN (SELECT e.id FROM alert_events e WHERE ${done} ORDER BY e.seq LIMIT :limit FOR UPDATE SKIP LOCKED) RETURNING id`,
      params,
    );
    total += rows.length;
    if (rows.length < batchSize) return total;
  }
}

/** The maintenance_jobs name of the daily history cleanup. */
export const HISTORY_CLEANUP_JOB = "history_cleanup";

/**
 * Claims `job` when it last ran at least `everyMs` before `now` (or never): records `now` as its
 * last run and answers true, in one statement, so of two schedulers only one gets it.
 */
export async function claimPeriodicJob(db: Db, job: string, now: Date, everyMs: number): Promise<boolean> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `INSERT INTO maintenance_jobs (job, last_run_at) VALUES (:job, :now)
     ON CONFLICT (job) DO UPDATE SET last_run_at = EXCLUDED.last_run_at
      WHERE maintenance_jobs.last_run_at <= :due
     RETURNING job`,
    { job, now, due: new Date(now.getTime() - everyMs) },
  );
  return rows.length === 1;
}
