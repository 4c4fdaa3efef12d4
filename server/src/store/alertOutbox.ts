import { AlertEvent, DeliveryState, OPEN_DELIVERY_STATES } from "../model/alerts";
import { DeadLetterStatus } from "../model/states";
import { ALERT_EVENT_COLUMNS, toAlertEvent, type AlertEventDbRow, type AlertEventRecord } from "./alertEvents";
import type { Db } from "./db";

/**
 * The alert sender's statements on the outbox (alert_events, alert_deliveries, alert_thresholds;
 * migration 0017). Several senders may run at once (one per scheduler process): events are
 * claimed for fan-out with FOR UPDATE SKIP LOCKED, deliveries with a lease (`leased_until`) taken
 * in the same statement, and every outcome is written only while the lease is still ours.
 */

/** One alert event as the sender reads it, with its run's data interval when the run still exists. */
export interface AlertEventRow extends AlertEventRecord {
  dataIntervalStart: Date | null;
  dataIntervalEnd: Date | null;
}

/** A delivery this sender holds the lease of until `leasedUntil` (its fencing token). */
export interface ClaimedDelivery {
  id: number;
  channel: string;
  /** Attempts before this one. */
  attempts: number;
  leasedUntil: Date;
  event: AlertEventRow;
}

interface EventDbRow extends AlertEventDbRow {
  data_interval_start: Date | null;
  data_interval_end: Date | null;
}

const EVENT_COLUMNS = `${ALERT_EVENT_COLUMNS.map((c) => `e.${c}`).join(", ")}, r.data_interval_start, r.data_interval_end`;

function toEvent(r: EventDbRow): AlertEventRow {
  return { ...toAlertEvent(r), dataIntervalStart: r.data_interval_start, dataIntervalEnd: r.data_interval_end };
}

/** `state IN ('pending','failing')` as literals from the model, so the partial index alert_deliveries_due_idx applies. */
const OPEN_STATES_SQL = [...OPEN_DELIVERY_STATES].map((s) => `'${s}'`).join(",");

/**
 * Fans out up to `limit` events nobody has fanned out yet (oldest first, skipping events another
 * sender holds): inserts the delivery rows `channelsFor` names for each event and marks the events
 * fanned out, in one transaction. `channelsFor` answers null to leave an event for later; it must
 * not do I/O (it runs inside the transaction).
 * @returns how many events were fanned out (fewer than `limit`: none are left, or some wait).
 */
export async function fanOutAlertEvents(db: Db, channelsFor: (event: AlertEventRow) => readonly string[] | null, limit = 100): Promise<number> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: EventDbRow[] }>(
      `SELECT ${EVENT_COLUMNS}
         FROM alert_events e LEFT JOIN dag_runs r ON r.id = e.dag_run_id
        WHERE e.id IN (SELECT id FROM alert_events WHERE fanned_out_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED)
          AND e.fanned_out_at IS NULL
        ORDER BY e.seq`,
      [limit],
    );
    if (rows.length === 0) return 0;
    const deliveries: Array<{ event_id: string; channel: string }> = [];
    const done: string[] = [];
    for (const row of rows) {
      const channels = channelsFor(toEvent(row));
      if (channels === null) continue;
      done.push(row.id);
      for (const channel of new Set(channels)) deliveries.push({ event_id: row.id, channel });
    }
    if (deliveries.length > 0) await trx("alert_deliveries").insert(deliveries).onConflict(["event_id", "channel"]).ignore();
    if (done.length > 0) await trx.raw(`UPDATE alert_events SET fanned_out_at = clock_timestamp() WHERE id = ANY(?::uuid[])`, [done]);
    return done.length;
  });
}

/**
 * Leases up to `limit` due deliveries (pending or failing, next attempt due, no live lease) for
 * `leaseMs`, oldest due first, skipping rows another sender is claiming. A sender that dies keeps
 * its rows leased until the lease runs out; then another sender sends them again (same event id).
 */
export async function claimDueDeliveries(db: Db, opts: { limit: number; leaseMs: number }): Promise<ClaimedDelivery[]> {
  const { rows } = await db.raw<{ rows: Array<EventDbRow & { delivery_id: number; channel: string; attempts: number; leased_until: Date }> }>(
    `WITH due AS (
       SELECT id FROM alert_deliveries
        WHERE state IN (${OPEN_STATES_SQL}) AND next_attempt_at <= clock_timestamp()
          AND (leased_until IS NULL OR leased_until < clock_timestamp())
        ORDER BY next_attempt_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE alert_deliveries d
          -- Whole milliseconds, so the value survives the trip through a JS Date and can fence the outcome.
          SET leased_until = date_trunc('milliseconds', clock_timestamp()) + :leaseMs * interval '1 millisecond', updated_at = clock_timestamp()
         FROM due WHERE d.id = due.id
       RETURNING d.id, d.event_id, d.channel, d.attempts, d.leased_until
     )
     SELECT c.id AS delivery_id, c.channel, c.attempts, c.leased_until, ${EVENT_COLUMNS}
       FROM claimed c JOIN alert_events e ON e.id = c.event_id LEFT JOIN dag_runs r ON r.id = e.dag_run_id
      ORDER BY c.id`,
    { limit: opts.limit, leaseMs: opts.leaseMs },
  );
  return rows.map((r) => ({ id: Number(r.delivery_id), channel: r.channel, attempts: r.attempts, leasedUntil: r.leased_until, event: toEvent(r) }));
}

/** Records that the receiver took the delivery (2xx, SMTP accepted, callback returned). False: the lease was lost first. */
export async function recordDeliverySent(db: Db, d: Pick<ClaimedDelivery, "id" | "leasedUntil">): Promise<boolean> {
  const n = await db("alert_deliveries")
    .where({ id: d.id, leased_until: d.leasedUntil })
    .update({ state: DeliveryState.sent, sent_at: db.raw("clock_timestamp()"), attempts: db.raw("attempts + 1"), last_error: null, leased_until: null, updated_at: db.raw("clock_timestamp()") });
  return n === 1;
}

/**
 * Records a failed attempt: `failing` with the error and the next attempt `retryInMs` from now, or
 * `given_up` when `giveUp` or the event is older than `maxAgeMs`.
 * @returns the new state, or null when the lease was lost first (nothing written).
 */
export async function recordDeliveryFailed(
  db: Db,
  d: Pick<ClaimedDelivery, "id" | "leasedUntil">,
  o: { error: string; retryInMs: number; maxAgeMs: number; giveUp: boolean },
): Promise<DeliveryState | null> {
  const { rows } = await db.raw<{ rows: Array<{ state: DeliveryState }> }>(
    `UPDATE alert_deliveries d
        SET attempts = d.attempts + 1, last_error = :error, leased_until = NULL, updated_at = clock_timestamp(),
            next_attempt_at = clock_timestamp() + :retryInMs * interval '1 millisecond',
            state = CASE WHEN :giveUp OR e.occurred_at <= clock_timestamp() - :maxAgeMs * interval '1 millisecond'
                         THEN :givenUp ELSE :failing END
       FROM alert_events e
      WHERE e.id = d.event_id AND d.id = :id AND d.leased_until = :lease
      RETURNING d.state`,
    {
      error: o.error.slice(0, 4000),
      retryInMs: Math.max(0, Math.round(o.retryInMs)),
      giveUp: o.giveUp,
      maxAgeMs: o.maxAgeMs,
      givenUp: DeliveryState.given_up,
      failing: DeliveryState.failing,
      id: d.id,
      lease: d.leasedUntil,
    },
  );
  return rows[0]?.state ?? null;
}

/** A DAG that went over the dead-letter threshold in this check. */
export interface ThresholdCrossing {
  dagId: string;
  eventId: string;
  open: number;
}

/**
 * The dead_letters_over check, done by one process at a time (a transaction-level advisory lock;
 * another process holding it skips, answering null): a DAG with more than `threshold` open dead
 * letters and no alert_thresholds row gets one dead_letters_over event and a row; a DAG at or
 * below it loses its row, so it alerts again the next time it goes over.
 */
export async function checkDeadLetterThresholds(db: Db, threshold: number): Promise<ThresholdCrossing[] | null> {
  return db.transaction(async (trx) => {
    const lock = await trx.raw<{ rows: Array<{ ok: boolean }> }>(`SELECT pg_try_advisory_xact_lock(hashtextextended('runnel.alert_thresholds', 0)) AS ok`);
    if (!lock.rows[0]?.ok) return null;
    const { rows } = await trx.raw<{ rows: Array<{ dag_id: string; event_id: string; open: number }> }>(
      `WITH per_task AS (
         SELECT dag_id, task_id, count(*)::int AS n FROM dead_letters WHERE status = :open GROUP BY dag_id, task_id
       ), per_dag AS (
         SELECT dag_id, sum(n)::int AS open, jsonb_object_agg(task_id, n) AS by_task FROM per_task GROUP BY dag_id
       ), fallen AS (
         DELETE FROM alert_thresholds t WHERE NOT EXISTS (SELECT 1 FROM per_dag p WHERE p.dag_id = t.dag_id AND p.open > :threshold)
       ), fresh AS (
         INSERT INTO alert_events (event, dag_id, error, details)
         SELECT :event, p.dag_id, format('%s open dead letters (threshold %s)', p.open, CAST(:threshold AS int)),
                jsonb_build_object('open', p.open, 'threshold', CAST(:threshold AS int), 'byTask', p.by_task)
           FROM per_dag p
          WHERE p.open > :threshold AND NOT EXISTS (SELECT 1 FROM alert_thresholds t WHERE t.dag_id = p.dag_id)
         RETURNING id, dag_id, (details->>'open')::int AS open
       ), marked AS (
         INSERT INTO alert_thresholds (dag_id, over_since, event_id)
         SELECT dag_id, clock_timestamp(), id FROM fresh
         ON CONFLICT (dag_id) DO NOTHING
       )
       SELECT dag_id, id AS event_id, open FROM fresh`,
      { open: DeadLetterStatus.open, threshold, event: AlertEvent.dead_letters_over },
    );
    return rows.map((r) => ({ dagId: r.dag_id, eventId: r.event_id, open: r.open }));
  });
}
