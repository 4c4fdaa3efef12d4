import type { SerializedDag } from "../model/graph";
import { RunState, TERMINAL_TASK_STATES, type RunType, sqlList } from "../model/states";
import type { Db } from "./db";
import { keyedState, withConn, type PgConn } from "./pgConn";

const TERMINAL_TASK_SQL = sqlList([...TERMINAL_TASK_STATES]);

/** Queue priority of a run's tasks: fresh (scheduled, manual) work before backfill work. */
export const QUEUE_PRIORITY = { fresh: 0, backfill: 100 } as const;

export interface NewRun {
  dagId: string;
  runId: string;
  runType: RunType;
  logicalDate: Date;
  dataIntervalStart: Date;
  dataIntervalEnd: Date;
  versionId: number;
  graph: SerializedDag;
  conf?: Record<string, unknown>;
  backfillId?: number | null;
  /** The dataset event that caused a dataset-triggered run. */
  triggerEventId?: number | null;
}

export interface RunRow {
  id: number;
  dag_id: string;
  run_id: string;
  run_type: RunType;
  state: RunState;
  logical_date: Date;
  data_interval_start: Date;
  data_interval_end: Date;
  dag_version_id: number;
  conf: Record<string, unknown>;
  backfill_id: number | null;
  created_at: Date;
  start_date: Date | null;
  end_date: Date | null;
  /** When the run must have finished (the DAG's `deadline`); null: none (migration 0017). */
  deadline_at: Date | null;
  /** When the leading scheduler found it unfinished past deadline_at (store/deadlines.ts). */
  deadline_missed_at: Date | null;
}

/**
 * Creates a queued run and its pending task instances in one transaction. The database's
 * unique constraints decide duplicates: a run that already exists (same run id, or a
 * scheduled/backfill run for the same logical date) is left alone and null is returned.
 */
export async function createRun(db: Db, run: NewRun): Promise<number | null> {
  return withConn(db, (conn) => createRunOn(conn, run));
}

/** `createRun` on a given connection, so it can be part of the caller's transaction. */
export async function createRunOn(conn: PgConn, run: NewRun): Promise<number | null> {
  const priority = run.runType === "backfill" ? QUEUE_PRIORITY.backfill : QUEUE_PRIORITY.fresh;
  // Each task instance starts with its direct downstream ids and its upstream counters (all
  // pending, so all open): the fan-in trigger (sql/faninCounters.sql) keeps them from here on.
  const known = new Set(run.graph.tasks.map((t) => t.id));
  const downstream = new Map<string, string[]>(run.graph.tasks.map((t) => [t.id, []]));
  for (const t of run.graph.tasks) for (const u of t.upstream) downstream.get(u)?.push(t.id);
  const tasks = run.graph.tasks.map((t) => ({
    task_id: t.id,
    max_tries: t.retries + 1,
    trigger_rule: t.triggerRule,
    upstream: t.upstream,
    downstream: downstream.get(t.id) ?? [],
    upstream_open: t.upstream.filter((u) => known.has(u)).length,
    weight: t.priorityWeight,
    expected_ms: t.expectedDurationMs ?? null,
    notify_on: t.notifyOn ?? [],
  }));
  const deadline = run.runType === "test" || (run.runType === "backfill" && run.graph.deadline?.from !== "queued") ? undefined : run.graph.deadline;
  // One statement: the run and its task instances commit together or not at all.
  const r = await conn.query<{ id: number }>(
    `WITH run AS (
       INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, dag_version_id, conf, backfill_id, trigger_event_id,
                             deadline_at, notify_on)
       VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8::jsonb, $9, $12,
               CASE $13::text WHEN 'queued' THEN clock_timestamp() WHEN 'logicalDate' THEN $4::timestamptz WHEN 'intervalEnd' THEN $6::timestamptz END
                 + $14::bigint * interval '1 millisecond',
               $15::text[])
       ON CONFLICT DO NOTHING RETURNING id),
     tis AS (
       INSERT INTO task_instances (dag_run_id, dag_id, task_id, state, max_tries, trigger_rule, upstream_task_ids, priority_weight, queue_priority,
                                   expected_duration_ms, notify_on, downstream_task_ids, upstream_open)
       SELECT run.id, $1, t.task_id, 'pending', t.max_tries, t.trigger_rule, t.upstream, t.weight, $10, t.expected_ms, t.notify_on,
              t.downstream, t.upstream_open
       FROM run CROSS JOIN jsonb_to_recordset($11::jsonb) AS t(task_id text, max_tries integer, trigger_rule text, upstream text[], weight integer,
                                                               expected_ms bigint, notify_on text[], downstream text[], upstream_open integer)
       RETURNING 1)
     SELECT id, (SELECT count(*) FROM tis) AS tasks FROM run`,
    [
      run.dagId,
      run.runId,
      run.runType,
      run.logicalDate,
      run.dataIntervalStart,
      run.dataIntervalEnd,
      run.versionId,
      JSON.stringify(run.conf ?? {}),
      run.backfillId ?? null,
      priority,
      JSON.stringify(tasks),
      run.triggerEventId ?? null,
      deadline?.from ?? null,
      deadline?.withinMs ?? null,
      run.graph.notifyOn ?? [],
    ],
  );
  return r.rows[0]?.id ?? null;
}

/** Logical date of the newest scheduled run of a DAG, or null. */
export async function latestScheduledLogicalDate(db: Db, dagId: string): Promise<Date | null> {
  const row = await db("dag_runs").where({ dag_id: dagId, run_type: "scheduled" }).max<{ max: Date | null }>("logical_date as max").first();
  return row?.max ?? null;
}

/**
 * Runs of a DAG that are queued or running, except `dags test` runs (they run in the CLI's
 * process and never take a scheduled run's room); with `excludeBackfill`, only fresh
 * (non-backfill) ones, which is what scheduled run creation counts so a backfill never takes its room.
 */
export async function countActiveRuns(db: Db, dagId: string, opts: { excludeBackfill?: boolean } = {}): Promise<number> {
  const q = db("dag_runs").where({ dag_id: dagId }).whereIn("state", [RunState.queued, RunState.running]).whereNot({ run_type: "test" });
  if (opts.excludeBackfill) q.whereNot({ run_type: "backfill" });
  const row = await q.count<{ n: string }>("* as n").first();
  return Number(row?.n ?? 0);
}

/**
 * Moves queued runs of a DAG to running, oldest logical date first. Fresh (non-backfill) runs
 * and backfill runs are counted separately so a backfill never takes the room a fresh run
 * needs: fresh runs start while fewer than `maxActiveRuns` fresh runs run; backfill runs start
 * while fewer than `maxActiveRuns` runs of any kind run (so they yield to fresh ones, and a
 * backfill's own maxActiveRuns bounds how many it queues). `dags test` runs are started by the
 * CLI itself and count for neither. Returns the ids started.
 */
export async function startQueuedRuns(db: Db, dagId: string, maxActiveRuns: number): Promise<number[]> {
  return db.transaction(async (trx) => {
    // Serialize starts per DAG so two schedulers cannot both fill the last slot.
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('runnel.start_runs'), hashtext(?))", [dagId]);
    const counts = await trx.raw<{ rows: { fresh: string; total: string }[] }>(
      "SELECT count(*) FILTER (WHERE run_type <> 'backfill') AS fresh, count(*) AS total FROM dag_runs WHERE dag_id = ? AND state = 'running' AND run_type <> 'test'",
      [dagId],
    );
    const fresh = Number(counts.rows[0]?.fresh ?? 0);
    const total = Number(counts.rows[0]?.total ?? 0);
    const start = async (backfill: boolean, limit: number): Promise<number[]> => {
      if (limit <= 0) return [];
      const result = await trx.raw<{ rows: { id: number }[] }>(
        `UPDATE dag_runs SET state = 'running', start_date = clock_timestamp()
         WHERE id IN (
           SELECT id FROM dag_runs WHERE dag_id = ? AND state = 'queued' AND run_type <> 'test' AND (run_type = 'backfill') = ?
           ORDER BY logical_date, id LIMIT ? FOR UPDATE SKIP LOCKED)
         RETURNING id`,
        [dagId, backfill, limit],
      );
      return result.rows.map((r) => r.id);
    };
    const freshStarted = await start(false, maxActiveRuns - fresh);
    const backfillStarted = await start(true, maxActiveRuns - total - freshStarted.length);
    return [...freshStarted, ...backfillStarted];
  });
}

/** Ids of DAGs that have queued runs. */
export async function dagsWithQueuedRuns(db: Db): Promise<string[]> {
  const rows = await db("dag_runs").distinct("dag_id").where({ state: RunState.queued });
  return rows.map((r: { dag_id: string }) => r.dag_id);
}

/**
 * Ends running runs whose task instances are all terminal: failed when a leaf task (one no
 * other task depends on) failed or was upstream_failed, else success. Fenced on `running`.
 * @returns the new state of each run that ended.
 */
export async function finalizeRuns(conn: PgConn, dagRunIds: readonly number[]): Promise<Map<number, RunState>> {
  return new Map([...(await endRuns(conn, dagRunIds))].map(([id, r]) => [id, r.state]));
}

/** A run that a finalize just ended. */
export interface EndedRun {
  dagId: string;
  state: RunState;
}

/**
 * finalizeRuns' statement. Each run's task instances are counted in a LATERAL subquery keyed by
 * that run, so the plan is one index probe per run whatever the statistics say: the former
 * `dag_run_id = ANY($1)` + GROUP BY, planned generically with statistics from before a burst of
 * 500k task instances, seq-scanned the table (205 ms; 740 ms with JIT) instead of 0.7 ms. A run
 * with failures subtracts every upstream id of the run from its failed task ids once (a failed
 * task no one depends on is a failed leaf), rather than a NOT EXISTS per failed task, which the
 * planner ran as a seq scan hoping to stop at the first match (a leaf has none).
 */
export const END_RUNS_SQL = `WITH s AS (
     SELECT x.id AS dag_run_id, a.total, a.open,
            CASE WHEN a.open = 0 AND a.failed_ids IS NOT NULL THEN (
              SELECT count(*) FROM (SELECT unnest(a.failed_ids) EXCEPT SELECT unnest(o.upstream_task_ids) FROM task_instances o WHERE o.dag_run_id = x.id) l)
            ELSE 0 END AS failed_leaves
       FROM (SELECT DISTINCT unnest($1::bigint[]) AS id) x
       CROSS JOIN LATERAL (
         SELECT count(*) AS total,
                count(*) FILTER (WHERE t.state NOT IN (${TERMINAL_TASK_SQL})) AS open,
                array_agg(t.task_id) FILTER (WHERE t.state IN ('failed','upstream_failed')) AS failed_ids
           FROM task_instances t WHERE t.dag_run_id = x.id) a)
   UPDATE dag_runs r SET state = CASE WHEN s.failed_leaves > 0 THEN 'failed' ELSE 'success' END, end_date = clock_timestamp()
   FROM s WHERE r.id = s.dag_run_id AND r.state = 'running' AND s.total > 0 AND s.open = 0
   RETURNING r.id, r.state, r.dag_id`;

/** finalizeRuns, with the DAG of each run it ended (for whoever counts run ends). */
async function endRuns(conn: PgConn, dagRunIds: readonly number[]): Promise<Map<number, EndedRun>> {
  const result = await conn.query<{ id: number; state: RunState; dag_id: string }>(
    END_RUNS_SQL,
    [dagRunIds],
  );
  return new Map(result.rows.map((r) => [r.id, { dagId: r.dag_id, state: r.state }]));
}

/** One run: see finalizeRuns. @returns the run's DAG and new state, or null when it did not end. */
export async function finalizeRunIfDone(conn: PgConn, dagRunId: number): Promise<EndedRun | null> {
  return (await endRuns(conn, [dagRunId])).get(dagRunId) ?? null;
}

/**
 * runningRunsWithNothingOpen's statement. The state is compared as an expression (keyedState):
 * with statistics from before a burst, saying nearly every task instance is terminal, the bare
 * column made the planner expect one open row and seq-scan all task instances (1.5-3 s at 500k);
 * now each running run is one probe of its key.
 */
export const RUNNING_RUNS_WITH_NOTHING_OPEN_SQL = `SELECT r.id FROM dag_runs r WHERE r.state = 'running' AND NOT EXISTS (
     SELECT 1 FROM task_instances t WHERE t.dag_run_id = r.id AND ${keyedState("t.state")} NOT IN (${TERMINAL_TASK_SQL}))
   LIMIT $1`;

/** Running runs with no open task instance left (repairs a finalize lost to a crash). */
export async function runningRunsWithNothingOpen(db: Db, limit = 500): Promise<number[]> {
  const result = await withConn(db, (conn) => conn.query<{ id: number }>(RUNNING_RUNS_WITH_NOTHING_OPEN_SQL, [limit]));
  return result.rows.map((r) => r.id);
}

export async function getRun(db: Db, dagRunId: number): Promise<RunRow | undefined> {
  return db<RunRow>("dag_runs").where({ id: dagRunId }).first();
}

export async function getRunByRunId(db: Db, dagId: string, runId: string): Promise<RunRow | undefined> {
  return db<RunRow>("dag_runs").where({ dag_id: dagId, run_id: runId }).first();
}

/** Newest runs of a DAG first. */
export async function listRuns(db: Db, dagId: string, limit = 25): Promise<RunRow[]> {
  return db<RunRow>("dag_runs").where({ dag_id: dagId }).orderBy([{ column: "logical_date", order: "desc" }, { column: "id", order: "desc" }]).limit(limit);
}
