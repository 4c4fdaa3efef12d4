import { AttemptState, TaskState, type RunType } from "../model/states";
import type { Db } from "./db";
import { finalizeRuns } from "./runs";
import { emptyResolveResult, judgePending, resolvePending, type PendingRow, type QueuedTask } from "./taskInstances";
import { retryOnDeadlock } from "./deadlockRetry";
import type { LogLine } from "./taskLogs";
import { keyedState, withConn } from "./pgConn";

/** Everything a worker needs to run one try, read in the same statement that claims it. */
export interface ClaimedTry {
  id: number;
  dagRunId: number;
  dagId: string;
  taskId: string;
  tryNumber: number;
  maxTries: number;
  queuedAt: Date | null;
  startDate: Date;
  runId: string;
  runType: RunType;
  logicalDate: Date;
  dataIntervalStart: Date;
  dataIntervalEnd: Date;
  conf: Record<string, unknown>;
  dagVersionId: number;
  /** Outputs of the direct upstream task instances, by task id. */
  upstreamOutputs: Record<string, unknown>;
  queuePriority: number;
  priorityWeight: number;
  /** A reschedule-mode sensor's first poke of this try (null before its first reschedule). */
  sensorStartedAt: Date | null;
  /** Pokes already done in this try (0 unless the try comes back from `up_for_reschedule`). */
  sensorPokes: number;
}

/** Why a claim was refused. */
export type ClaimRefusal =
  /** The same try is already `running`: its previous holder vanished (a stalled BullMQ job). */
  | "running_elsewhere"
  /** The task instance moved on (another try, cleared, finished, removed): drop the job. */
  | "stale";

/** One claim request: which try of which task instance. */
export interface ClaimRequest {
  id: number;
  tryNumber: number;
  /**
   * Which delivery of the try this is (0: the first, n: the poke after n rescheduled pokes).
   * When given, a claim from `up_for_reschedule` also requires `sensor_pokes = poke`, so a
   * stale delivery of an earlier poke is dropped instead of starting a second poke chain.
   */
  poke?: number;
}

/** The claim statement of `claimTries` ($1 worker, $2 ids, $3 try numbers, $4 pokes); exported for plan tests. */
export const CLAIM_TRIES_SQL = `WITH req AS (SELECT * FROM unnest($2::bigint[], $3::int[], $4::int[]) AS q(id, try, poke)),
 upd AS (
   UPDATE task_instances t SET state = 'running', start_date = clock_timestamp(), heartbeat_at = clock_timestamp(),
     worker = $1, next_try_at = NULL, updated_at = clock_timestamp(),
     -- expectedDuration counts from the first try's start (a clear resets deadline_at)
     deadline_at = coalesce(t.deadline_at, clock_timestamp() + t.expected_duration_ms * interval '1 millisecond'),
     sensor_started_at = CASE WHEN t.state = 'up_for_reschedule' THEN t.sensor_started_at END,
     sensor_pokes = CASE WHEN t.state = 'up_for_reschedule' THEN t.sensor_pokes ELSE 0 END
   FROM req
   WHERE t.id = req.id AND t.try_number = req.try AND ${keyedState("t.state")} IN ('queued','up_for_retry','up_for_reschedule')
     AND (t.state <> 'up_for_reschedule' OR req.poke IS NULL OR t.sensor_pokes = req.poke)
     AND EXISTS (SELECT 1 FROM dag_runs r WHERE r.id = t.dag_run_id AND r.state = 'running')
   RETURNING t.*
 ), att AS (
   INSERT INTO task_attempts (task_instance_id, try_number, state, worker, queued_at, start_date)
   SELECT id, try_number, 'running', worker, queued_at, start_date FROM upd
   ON CONFLICT (task_instance_id, try_number) DO UPDATE SET state = 'running', worker = excluded.worker, end_date = NULL, error = NULL,
     -- a rescheduled sensor's attempt spans all its pokes: keep the first poke's start
     start_date = CASE WHEN task_attempts.state = 'rescheduled' THEN task_attempts.start_date ELSE excluded.start_date END
 )
 SELECT upd.id, upd.dag_run_id, upd.dag_id, upd.task_id, upd.try_number, upd.max_tries, upd.queued_at, upd.start_date,
   upd.queue_priority, upd.priority_weight, upd.sensor_started_at, upd.sensor_pokes,
   r.run_id, r.run_type, r.logical_date, r.data_interval_start, r.data_interval_end, r.conf, r.dag_version_id,
   (SELECT coalesce(jsonb_object_agg(u.task_id, u.output), '{}'::jsonb) FROM task_instances u
     WHERE u.dag_run_id = upd.dag_run_id AND u.task_id = ANY(upd.upstream_task_ids)) AS upstream_outputs
 FROM upd JOIN dag_runs r ON r.id = upd.dag_run_id`;

/**
 * `queued`/`up_for_retry`/`up_for_reschedule` -> `running` for exactly these tries (fenced by
 * try number and a running run), opening their task_attempts rows and reading the runs and
 * upstream outputs, in one statement. Results are in request order.
 */
export async function claimTries(db: Db, requests: readonly ClaimRequest[], worker: string): Promise<(ClaimedTry | ClaimRefusal)[]> {
  const result = await withConn(db, (conn) =>
    conn.query<Record<string, unknown>>(
      CLAIM_TRIES_SQL,
      [worker, requests.map((r) => r.id), requests.map((r) => r.tryNumber), requests.map((r) => r.poke ?? null)],
    ),
  );
  const claimed = new Map(result.rows.map((row) => [row.id as number, toClaimed(row)]));
  return Promise.all(
    requests.map(async (req) => {
      const c = claimed.get(req.id);
      if (c && c.tryNumber === req.tryNumber) return c;
      const current = await db("task_instances")
        .select("state", "try_number", "sensor_pokes")
        .where({ id: req.id })
        .first<{ state: string; try_number: number; sensor_pokes: number } | undefined>();
      const samePoke = req.poke === undefined || current?.sensor_pokes === req.poke;
      return current?.state === TaskState.running && current.try_number === req.tryNumber && samePoke ? "running_elsewhere" : "stale";
    }),
  );
}

/** One try: see claimTries. */
export async function claimTry(db: Db, id: number, tryNumber: number, worker: string, poke?: number): Promise<ClaimedTry | ClaimRefusal> {
  return (await claimTries(db, [{ id, tryNumber, poke }], worker))[0]!;
}

function toClaimed(row: Record<string, unknown>): ClaimedTry {
  return {
    id: row.id as number,
    dagRunId: row.dag_run_id as number,
    dagId: row.dag_id as string,
    taskId: row.task_id as string,
    tryNumber: row.try_number as number,
    maxTries: row.max_tries as number,
    queuedAt: (row.queued_at as Date | null) ?? null,
    startDate: row.start_date as Date,
    runId: row.run_id as string,
    runType: row.run_type as RunType,
    logicalDate: row.logical_date as Date,
    dataIntervalStart: row.data_interval_start as Date,
    dataIntervalEnd: row.data_interval_end as Date,
    conf: (row.conf as Record<string, unknown>) ?? {},
    dagVersionId: row.dag_version_id as number,
    upstreamOutputs: (row.upstream_outputs as Record<string, unknown>) ?? {},
    queuePriority: row.queue_priority as number,
    priorityWeight: Number(row.priority_weight),
    sensorStartedAt: (row.sensor_started_at as Date | null) ?? null,
    sensorPokes: (row.sensor_pokes as number) ?? 0,
  };
}

/** The end of one try, as the worker saw it. */
export interface TryOutcome {
  id: number;
  dagRunId: number;
  taskId: string;
  tryNumber: number;
  /** success, skipped or failed (final); a failure with tries left goes through scheduleRetry. */
  state: typeof TaskState.success | typeof TaskState.skipped | typeof TaskState.failed;
  attemptState: AttemptState;
  output?: unknown;
  error?: string | null;
  errorCode?: string | null;
  logLines?: LogLine[];
}

/** What finishing a try changed. */
export interface FinishResult {
  /** False when the fence refused the write: a stale try, already finished elsewhere. */
  won: boolean;
  /** Downstream task instances queued by fast follow: dispatch them after this returns. */
  queued: QueuedTask[];
  /** Downstream task instances of capped DAGs left `scheduled` for admission. */
  scheduled: number;
  runState: string | null;
}

interface FinishCall {
  won: boolean;
  /** The run's open task instances after the batch's tries ended (won items only). */
  open?: number;
  pending?: PendingRow[];
}

/** What finishing a batch of tries changed. */
export interface BatchFinishResult {
  /** Per outcome, in the order given. */
  results: { won: boolean; runState: string | null }[];
  /** Downstream task instances queued by fast follow: dispatch them after this returns. */
  queued: QueuedTask[];
  /** Downstream task instances of capped DAGs left `scheduled` for admission. */
  scheduled: number;
}

/**
 * Ends running tries: ONE call to `runnel_finish_tries` (sql/finishTries.sql) does, per try,
 * what BullMQ's moveToFinished does for a job: end the try fenced by try number and `running`,
 * close its attempt, store its last log lines, open a dead letter for a final failure (trigger),
 * move its direct downstream's upstream counters (trigger) and read those still pending, and
 * read its run's open count. No run-wide lock: work is proportional to the tries' own edges. The
 * engine then applies the trigger rules in one statement fenced on the counters it read; a skip
 * or upstream failure cascades to its own downstream by key; runs with nothing left open end.
 */
export async function finishTries(db: Db, outcomes: readonly TryOutcome[], queueReady: (dagId: string) => boolean): Promise<BatchFinishResult> {
  const order = outcomes.map((_, i) => i).sort((a, b) => outcomes[a]!.dagRunId - outcomes[b]!.dagRunId || outcomes[a]!.id - outcomes[b]!.id);
  return withConn(db, async (conn) => {
    const items = order.map((i) => toFinishItem(outcomes[i]!));
    const calls = await retryOnDeadlock(async () => (await conn.query<{ r: FinishCall[] }>("SELECT runnel_finish_tries($1::jsonb) AS r", [JSON.stringify(items)])).rows[0]!.r);
    const resolved = emptyResolveResult();
    // A fan-in task read by two completions of one batch: the later read saw more, keep it.
    const pending = new Map<number, PendingRow>();
    for (const c of calls) for (const p of c.pending ?? []) pending.set(p.id, p);
    const next = await retryOnDeadlock(() => judgePending(conn, [...pending.values()], queueReady, resolved));
    if (next.length) await retryOnDeadlock(() => resolvePending(conn, { kind: "tasks", keys: next }, queueReady, resolved));
    const done = new Set<number>();
    order.forEach((i, k) => {
      if (calls[k]?.won && calls[k]!.open === 0) done.add(outcomes[i]!.dagRunId);
    });
    // A decision that ended task instances (skips, upstream failures) may have closed a run: read
    // the counter its commit left.
    const endedRuns = [...new Set(resolved.endedRuns)].filter((r) => !done.has(r));
    if (endedRuns.length) {
      const closed = await conn.query<{ id: number }>("SELECT id FROM dag_runs WHERE id = ANY($1::bigint[]) AND open_task_instances <= 0", [endedRuns]);
      for (const r of closed.rows) done.add(Number(r.id));
    }
    const runStates = done.size ? await finalizeRuns(conn, [...done]) : new Map<number, string>();
    const results = outcomes.map(() => ({ won: false, runState: null as string | null }));
    order.forEach((i, k) => {
      results[i] = { won: calls[k]?.won === true, runState: calls[k]?.won ? (runStates.get(outcomes[i]!.dagRunId) ?? null) : null };
    });
    return { results, queued: resolved.queued, scheduled: resolved.scheduled };
  });
}

/** One try: see finishTries. */
export async function finishTry(db: Db, outcome: TryOutcome, queueReady: (dagId: string) => boolean): Promise<FinishResult> {
  const batch = await finishTries(db, [outcome], queueReady);
  const r = batch.results[0]!;
  return { won: r.won, queued: batch.queued, scheduled: batch.scheduled, runState: r.runState };
}

function toFinishItem(o: TryOutcome): Record<string, unknown> {
  return {
    run: o.dagRunId,
    id: o.id,
    try: o.tryNumber,
    state: o.state,
    ...(o.output === undefined ? {} : { output: o.output }),
    attemptState: o.attemptState,
    error: o.error ?? null,
    errorCode: o.errorCode ?? null,
    logs: o.logLines ?? [],
  };
}

/**
 * A failed try with tries left: `running` -> `up_for_retry` with the next try number and the
 * time it is due, so a lost delayed job can be restored from Postgres. Fenced like finishTry.
 * @returns the next try number, or null when the fence refused.
 */
export async function scheduleRetry(
  db: Db,
  args: { id: number; tryNumber: number; delayMs: number; attemptState: AttemptState; error: string; errorCode: string | null; logLines?: LogLine[] },
): Promise<QueuedTask | null> {
  const r = await withConn(db, (conn) =>
    conn.query<{ try_number: number; dag_id: string; queue_priority: number; priority_weight: number }>(
      `WITH upd AS (
         UPDATE task_instances SET state = 'up_for_retry', try_number = try_number + 1,
           next_try_at = clock_timestamp() + ($1 * interval '1 millisecond'), end_date = clock_timestamp(), heartbeat_at = NULL, updated_at = clock_timestamp()
         WHERE id = $2 AND try_number = $3 AND ${keyedState("state")} = 'running' RETURNING id, try_number, dag_id, queue_priority, priority_weight),
       att AS (
         UPDATE task_attempts a SET state = $4, end_date = clock_timestamp(), error = $5, error_code = $6
         FROM upd WHERE a.task_instance_id = upd.id AND a.try_number = upd.try_number - 1 RETURNING 1),
       logs AS (
         INSERT INTO task_logs (task_instance_id, try_number, ts, level, message, fields)
         SELECT upd.id, upd.try_number - 1, l.ts, l.level, l.message, l.fields
         FROM upd CROSS JOIN jsonb_to_recordset($7::jsonb) AS l(ts timestamptz, level text, message text, fields jsonb) RETURNING 1)
       SELECT try_number, dag_id, queue_priority, priority_weight, (SELECT count(*) FROM att) + (SELECT count(*) FROM logs) AS side_effects FROM upd`,
      [args.delayMs, args.id, args.tryNumber, args.attemptState, args.error, args.errorCode, JSON.stringify(args.logLines ?? [])],
    ),
  );
  const row = r.rows[0];
  // The next try keeps the run's queue priority (a backfill's retry stays behind fresh work).
  return row ? { id: args.id, tryNumber: row.try_number, dagId: row.dag_id, queuePriority: row.queue_priority, priorityWeight: row.priority_weight, delayMs: args.delayMs } : null;
}

/**
 * Refreshes the heartbeat of the running tries this worker holds. Rows another transaction has
 * locked (a completion or an admission updating them right now) are skipped, not waited for: a
 * heartbeat that waited could deadlock with such a transaction, and a try being changed at this
 * moment is evidently alive (the next beat, well inside the zombie timeout, refreshes it).
 */
export async function heartbeat(db: Db, tries: readonly { id: number; tryNumber: number }[]): Promise<void> {
  if (!tries.length) return;
  await withConn(db, (conn) =>
    conn.query(
      `UPDATE task_instances t SET heartbeat_at = clock_timestamp()
       FROM (SELECT ti.id FROM task_instances ti JOIN unnest($1::bigint[], $2::int[]) AS h(id, try) ON ti.id = h.id AND ti.try_number = h.try
             WHERE ti.state = 'running' FOR UPDATE OF ti SKIP LOCKED) beat
       WHERE t.id = beat.id`,
      [tries.map((t) => t.id), tries.map((t) => t.tryNumber)],
    ),
  );
}

/** Max tries of a task instance, read when a try is lost (its worker had no chance to say). */
export async function getTryFacts(db: Db, id: number): Promise<{ dagRunId: number; taskId: string; dagId: string; maxTries: number; tryNumber: number; state: TaskState } | undefined> {
  const row = await db("task_instances").select("dag_run_id", "task_id", "dag_id", "max_tries", "try_number", "state").where({ id }).first();
  return row ? { dagRunId: row.dag_run_id, taskId: row.task_id, dagId: row.dag_id, maxTries: row.max_tries, tryNumber: row.try_number, state: row.state } : undefined;
}

/**
 * Which of these tries (held by this worker) are no longer current: their task instance is not
 * `running` with that try number any more (the run was canceled, the task marked or cleared by a
 * person, or it moved on elsewhere). One index lookup per try; the worker polls this every second
 * and aborts the bodies of the tries it returns.
 */
export async function triesNoLongerCurrent(db: Db, tries: readonly { id: number; tryNumber: number }[]): Promise<{ id: number; tryNumber: number }[]> {
  if (!tries.length) return [];
  const r = await withConn(db, (conn) =>
    conn.query<{ id: number; try: number }>(
      `SELECT h.id, h.try FROM unnest($1::bigint[], $2::int[]) AS h(id, try)
       WHERE NOT EXISTS (SELECT 1 FROM task_instances ti WHERE ti.id = h.id AND ti.try_number = h.try AND ti.state = 'running')`,
      [tries.map((t) => t.id), tries.map((t) => t.tryNumber)],
    ),
  );
  return r.rows.map((row) => ({ id: Number(row.id), tryNumber: row.try }));
}

/**
 * Ends the attempt row of a try whose task instance moved on without it (canceled, marked,
 * cleared): state `canceled`, end_date now, its last log lines stored. Touches neither the task
 * instance nor dead letters, so it counts as no failure and schedules no retry. Fenced: only an
 * attempt still `running` whose task instance is no longer running that try.
 * @returns whether the attempt was closed.
 */
export async function closeCanceledTry(db: Db, args: { id: number; tryNumber: number; reason: string; logLines?: LogLine[] }): Promise<boolean> {
  const r = await withConn(db, (conn) =>
    conn.query(
      `WITH att AS (
         UPDATE task_attempts a SET state = 'canceled', end_date = clock_timestamp(), error = coalesce(a.error, $3), error_code = 'CANCELED'
         WHERE a.task_instance_id = $1 AND a.try_number = $2 AND a.state = 'running'
           AND NOT EXISTS (SELECT 1 FROM task_instances ti WHERE ti.id = $1 AND ti.try_number = $2 AND ti.state = 'running')
         RETURNING a.task_instance_id, a.try_number),
       logs AS (
         INSERT INTO task_logs (task_instance_id, try_number, ts, level, message, fields)
         SELECT att.task_instance_id, att.try_number, l.ts, l.level, l.message, l.fields
         FROM att CROSS JOIN jsonb_to_recordset($4::jsonb) AS l(ts timestamptz, level text, message text, fields jsonb) RETURNING 1)
       SELECT (SELECT count(*) FROM logs) AS logged FROM att`,
      [args.id, args.tryNumber, args.reason, JSON.stringify(args.logLines ?? [])],
    ),
  );
  return (r.rowCount ?? 0) > 0;
}

/**
 * Hands a claimed try back before its body ran (the worker has not loaded its DAG yet): the task
 * instance returns to `queued` with the same try number and the attempt row the claim opened is
 * removed, so the try counts against nothing. Fenced on the try still `running`.
 * @returns whether it was handed back.
 */
export async function releaseClaim(db: Db, id: number, tryNumber: number): Promise<boolean> {
  const r = await withConn(db, (conn) =>
    conn.query(
      `WITH upd AS (
         UPDATE task_instances SET state = 'queued', start_date = NULL, worker = NULL, heartbeat_at = NULL, updated_at = clock_timestamp()
         WHERE id = $1 AND try_number = $2 AND ${keyedState("state")} = 'running' RETURNING id, try_number),
       att AS (
         DELETE FROM task_attempts a USING upd WHERE a.task_instance_id = upd.id AND a.try_number = upd.try_number AND a.state = 'running' RETURNING 1)
       SELECT (SELECT count(*) FROM att) AS attempts FROM upd`,
      [id, tryNumber],
    ),
  );
  return (r.rowCount ?? 0) > 0;
}

/** Records that an aborted in-process body is still running a grace period later (it ignores its abort signal). */
export async function markAbortIgnored(db: Db, id: number, tryNumber: number): Promise<void> {
  await db("task_attempts").where({ task_instance_id: id, try_number: tryNumber, state: AttemptState.running }).whereNull("abort_ignored_at").update({ abort_ignored_at: db.fn.now() });
}
