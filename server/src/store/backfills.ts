import type { Knex } from "knex";
import { BackfillState, type RunState } from "../model/states";
import type { ExistingRun } from "../model/backfill";
import type { BackfillAction, BackfillOrder, ReprocessMode } from "../model/states";
import type { Db } from "./db";

/** A `backfills` row. */
export interface BackfillRow {
  id: number;
  dag_id: string;
  from_date: Date;
  to_date: Date;
  reprocess: ReprocessMode;
  max_active_runs: number;
  run_order: BackfillOrder;
  conf: Record<string, unknown>;
  state: BackfillState;
  created_by: string | null;
  created_at: Date;
  completed_at: Date | null;
}

/** One planned date of a new backfill. `dagRunId` = the existing run (clear/skip). */
export interface PlannedDate {
  logicalDate: Date;
  dataIntervalEnd: Date;
  action: BackfillAction;
  dagRunId: number | null;
}

/** A new backfill and its planned dates. */
export interface NewBackfill {
  dagId: string;
  from: Date;
  to: Date;
  reprocess: ReprocessMode;
  maxActiveRuns: number;
  order: BackfillOrder;
  conf: Record<string, unknown>;
  createdBy: string | null;
  dates: readonly PlannedDate[];
}

/** The run a date already has (scheduled/backfill first, else the newest manual run), with its id. */
export interface ExistingRunRow extends ExistingRun {
  id: number;
}

type Conn = Db | Knex.Transaction;

/**
 * The runs that already exist for logical dates in [from, to], keyed by epoch ms: the
 * scheduled/backfill run of a date (at most one: unique index), else its newest manual run.
 * `dags test` runs do not count: a backfill neither skips nor reruns a date for one.
 */
export async function existingRunsInRange(db: Conn, dagId: string, from: Date, to: Date): Promise<Map<number, ExistingRunRow>> {
  const r = await db.raw<{ rows: { id: number; logical_date: Date; state: RunState; has_failed: boolean }[] }>(
    `SELECT DISTINCT ON (logical_date) r.id, r.logical_date, r.state,
            EXISTS (SELECT 1 FROM task_instances t WHERE t.dag_run_id = r.id AND t.state IN ('failed','upstream_failed')) AS has_failed
     FROM dag_runs r WHERE r.dag_id = ? AND r.logical_date BETWEEN ? AND ? AND r.run_type <> 'test'
     ORDER BY logical_date, (run_type IN ('scheduled','backfill')) DESC, id DESC`,
    [dagId, from, to],
  );
  return new Map(r.rows.map((row) => [row.logical_date.getTime(), { id: row.id, state: row.state, hasFailedTasks: row.has_failed }]));
}

/** Inserts a running backfill and its planned dates in one transaction. @returns its id. */
export async function insertBackfill(db: Db, b: NewBackfill): Promise<number> {
  return db.transaction(async (trx) => {
    const [row] = (await trx("backfills")
      .insert({
        dag_id: b.dagId,
        from_date: b.from,
        to_date: b.to,
        reprocess: b.reprocess,
        max_active_runs: b.maxActiveRuns,
        run_order: b.order,
        conf: JSON.stringify(b.conf),
        state: BackfillState.running,
        created_by: b.createdBy,
      })
      .returning("id")) as { id: number }[];
    const id = Number(row?.id);
    await trx.raw(
      `INSERT INTO backfill_dates (backfill_id, logical_date, data_interval_end, action, dag_run_id)
       SELECT ?, d, e, a, r FROM unnest(?::timestamptz[], ?::timestamptz[], ?::text[], ?::bigint[]) AS x(d, e, a, r)`,
      // pg sends JS arrays as Postgres arrays; knex's binding type does not say so.
      [id, b.dates.map((d) => d.logicalDate), b.dates.map((d) => d.dataIntervalEnd), b.dates.map((d) => d.action), b.dates.map((d) => d.dagRunId)] as unknown as Knex.RawBinding[],
    );
    return id;
  });
}

/** One backfill, or undefined. */
export async function getBackfill(db: Conn, id: number): Promise<BackfillRow | undefined> {
  return db<BackfillRow>("backfills").where({ id }).first();
}

/** Backfills, newest first, optionally of one DAG. */
export async function listBackfills(db: Db, dagId: string | undefined, limit: number): Promise<BackfillRow[]> {
  const q = db<BackfillRow>("backfills").select("*");
  if (dagId) q.where({ dag_id: dagId });
  return q.orderBy("id", "desc").limit(limit);
}

/** Ids of backfills that may still launch runs or end (running), oldest first. */
export async function runningBackfillIds(db: Db): Promise<number[]> {
  const rows = await db("backfills").select("id").where({ state: BackfillState.running }).orderBy("id");
  return rows.map((r: { id: number }) => Number(r.id));
}

/**
 * Moves a backfill to `to` when it is in one of `from` (fenced), under the backfill's advisory
 * lock so it never interleaves with a scheduler launching its runs. @returns whether it moved.
 */
export async function setBackfillState(db: Db, id: number, to: BackfillState, from: readonly BackfillState[]): Promise<boolean> {
  return db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('runnel.backfill'), ?::int)", [id]);
    const n = await trx("backfills")
      .where({ id })
      .whereIn("state", [...from])
      .update({ state: to, completed_at: to === BackfillState.canceled || to === BackfillState.completed ? trx.fn.now() : null });
    return n === 1;
  });
}

/** Takes the backfill's advisory lock for this transaction if free. @returns whether it got it. */
export async function tryLockBackfill(trx: Knex.Transaction, id: number): Promise<boolean> {
  const r = await trx.raw<{ rows: { ok: boolean }[] }>("SELECT pg_try_advisory_xact_lock(hashtext('runnel.backfill'), ?::int) AS ok", [id]);
  return r.rows[0]?.ok === true;
}

/** Runs of the backfill (created or cleared by it) that are queued or running. */
export async function countActiveBackfillRuns(db: Conn, id: number): Promise<number> {
  const r = await db.raw<{ rows: { n: string }[] }>(
    `SELECT count(*) AS n FROM backfill_dates d JOIN dag_runs r ON r.id = d.dag_run_id
     WHERE d.backfill_id = ? AND d.launched_at IS NOT NULL AND r.state IN ('queued','running')`,
    [id],
  );
  return Number(r.rows[0]?.n ?? 0);
}

/** A date still to launch. */
export interface PendingDate {
  logicalDate: Date;
  dataIntervalEnd: Date;
  action: BackfillAction;
}

/** The next `limit` dates to launch, in the backfill's order. */
export async function pendingDates(db: Conn, id: number, order: BackfillOrder, limit: number): Promise<PendingDate[]> {
  const rows = await db("backfill_dates")
    .select("logical_date", "data_interval_end", "action")
    .where({ backfill_id: id })
    .whereNull("launched_at")
    .whereNot({ action: "skip" })
    .orderBy("logical_date", order === "newest" ? "desc" : "asc")
    .limit(limit);
  return rows.map((r: { logical_date: Date; data_interval_end: Date; action: BackfillAction }) => ({ logicalDate: r.logical_date, dataIntervalEnd: r.data_interval_end, action: r.action }));
}

/** Records that a date was launched with `dagRunId` (fenced: only once). */
export async function markDateLaunched(db: Conn, id: number, logicalDate: Date, dagRunId: number | null): Promise<boolean> {
  const n = await db("backfill_dates").where({ backfill_id: id, logical_date: logicalDate }).whereNull("launched_at").update({ dag_run_id: dagRunId, launched_at: db.fn.now() });
  return n === 1;
}

/**
 * Completes a running backfill once every date is launched and every run it launched has ended.
 * @returns whether it completed now.
 */
export async function completeBackfillIfDone(db: Conn, id: number): Promise<boolean> {
  const n = await db.raw<{ rowCount: number }>(
    `UPDATE backfills b SET state = 'completed', completed_at = now()
     WHERE b.id = ? AND b.state = 'running' AND NOT EXISTS (
       SELECT 1 FROM backfill_dates d LEFT JOIN dag_runs r ON r.id = d.dag_run_id
       WHERE d.backfill_id = b.id AND d.action <> 'skip' AND (d.launched_at IS NULL OR r.state IN ('queued','running')))`,
    [id],
  );
  return n.rowCount === 1;
}

/** One date of a backfill with its run's current state (null run = not launched yet / none). */
export interface BackfillDateRow {
  logical_date: Date;
  action: BackfillAction;
  launched_at: Date | null;
  dag_run_id: number | null;
  run_id: string | null;
  run_state: RunState | null;
  start_date: Date | null;
  end_date: Date | null;
}

/** Every date of a backfill, oldest first. */
export async function backfillDates(db: Conn, id: number): Promise<BackfillDateRow[]> {
  const r = await db.raw<{ rows: BackfillDateRow[] }>(
    `SELECT d.logical_date, d.action, d.launched_at, d.dag_run_id, r.run_id, r.state AS run_state, r.start_date, r.end_date
     FROM backfill_dates d LEFT JOIN dag_runs r ON r.id = d.dag_run_id
     WHERE d.backfill_id = ? ORDER BY d.logical_date`,
    [id],
  );
  return r.rows.map((row) => ({ ...row, dag_run_id: row.dag_run_id === null ? null : Number(row.dag_run_id) }));
}

/** Queued or running runs launched by a backfill (cancel stops them). */
export async function activeBackfillRunIds(db: Conn, id: number): Promise<number[]> {
  const r = await db.raw<{ rows: { id: number }[] }>(
    `SELECT r.id FROM backfill_dates d JOIN dag_runs r ON r.id = d.dag_run_id
     WHERE d.backfill_id = ? AND d.launched_at IS NOT NULL AND r.state IN ('queued','running') ORDER BY r.id`,
    [id],
  );
  return r.rows.map((row) => Number(row.id));
}
