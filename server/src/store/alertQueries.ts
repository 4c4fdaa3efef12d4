import { AlertEvent, DeliveryState, type OperatorChannel } from "../model/alerts";
import { ALERT_EVENT_COLUMNS, toAlertEvent, type AlertEventDbRow, type AlertEventRecord } from "./alertEvents";
import type { Db } from "./db";

/**
 * The Alerts page's side of the outbox (alert_events, alert_deliveries; migration 0017): reads,
 * and the two writes a person makes: a test alert and a resend. Neither sends anything: the sender
 * (alerts/alertSender.ts) picks up pending deliveries whose next_attempt_at has come.
 */

/** One event's delivery to one channel (an alert_deliveries row). */
export interface StoredDelivery {
  id: number;
  channel: string;
  state: DeliveryState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
  updatedAt: Date;
}

/** An alert_events row with its deliveries (oldest delivery row first). */
export interface StoredAlert extends AlertEventRecord {
  fannedOutAt: Date | null;
  deliveries: StoredDelivery[];
}

/** Which events to list: all of them newest first, narrowed by DAG, event and delivery state, before `beforeSeq` (keyset paging). */
export interface AlertFilter {
  dagId?: string;
  event?: AlertEvent;
  /** Events with at least one delivery in this state. */
  deliveryState?: DeliveryState;
  /** Only events older than this seq (the last seq of the previous page). */
  beforeSeq?: number;
  limit: number;
}

interface EventRow extends AlertEventDbRow {
  fanned_out_at: Date | null;
}

interface DeliveryRow {
  id: number;
  event_id: string;
  channel: string;
  state: DeliveryState;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  sent_at: Date | null;
  updated_at: Date;
}

const EVENT_COLUMNS = [...ALERT_EVENT_COLUMNS, "fanned_out_at"];
const DELIVERY_COLUMNS = ["id", "event_id", "channel", "state", "attempts", "last_error", "next_attempt_at", "sent_at", "updated_at"];

const toDelivery = (d: DeliveryRow): StoredDelivery => ({
  id: d.id,
  channel: d.channel,
  state: d.state,
  attempts: d.attempts,
  lastError: d.last_error,
  nextAttemptAt: d.next_attempt_at,
  sentAt: d.sent_at,
  updatedAt: d.updated_at,
});

/** Joins events with their deliveries: one query for every event's deliveries, however many events. */
async function withDeliveries(db: Db, events: EventRow[]): Promise<StoredAlert[]> {
  if (events.length === 0) return [];
  const rows = (await db("alert_deliveries")
    .select(DELIVERY_COLUMNS)
    .whereIn(
      "event_id",
      events.map((e) => e.id),
    )
    .orderBy("id")) as DeliveryRow[];
  const byEvent = new Map<string, StoredDelivery[]>();
  for (const d of rows) {
    const list = byEvent.get(d.event_id) ?? [];
    list.push(toDelivery(d));
    byEvent.set(d.event_id, list);
  }
  return events.map((e) => ({ ...toAlertEvent(e), fannedOutAt: e.fanned_out_at, deliveries: byEvent.get(e.id) ?? [] }));
}

/**
 * Events matching `filter`, newest first (by seq), each with its deliveries, in two queries.
 * @returns at most `limit` alerts, and the seq to pass as `beforeSeq` for the next page (null on the last page).
 */
export async function listAlerts(db: Db, filter: AlertFilter): Promise<{ alerts: StoredAlert[]; nextBeforeSeq: number | null }> {
  const q = db("alert_events as e")
    .select(EVENT_COLUMNS.map((c) => `e.${c}`))
    .orderBy("e.seq", "desc")
    .limit(filter.limit + 1);
  if (filter.dagId !== undefined) q.where("e.dag_id", filter.dagId);
  if (filter.event !== undefined) q.where("e.event", filter.event);
  if (filter.beforeSeq !== undefined) q.where("e.seq", "<", filter.beforeSeq);
  if (filter.deliveryState !== undefined) {
    const state = filter.deliveryState;
    q.whereExists((sub) => void sub.select(db.raw("1")).from("alert_deliveries as d").whereRaw("d.event_id = e.id").andWhere("d.state", state));
  }
  const rows = (await q) as EventRow[];
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  return { alerts: await withDeliveries(db, page), nextBeforeSeq: rows.length > filter.limit && last ? Number(last.seq) : null };
}

/** One event with its deliveries, or undefined. `id` must be a UUID (the caller checks). */
export async function getAlert(db: Db, id: string): Promise<StoredAlert | undefined> {
  const row = (await db("alert_events").select(EVENT_COLUMNS).where({ id }).first()) as EventRow | undefined;
  if (!row) return undefined;
  const [alert] = await withDeliveries(db, [row]);
  return alert;
}

/**
 * "Send a test alert": a `test` event (details.requestedBy = `actor`) already fanned out, with its
 * one pending delivery to `channel`, in one transaction; the sender delivers it like any other.
 * @returns the new event with its delivery.
 */
export async function insertTestAlert(db: Db, channel: OperatorChannel, actor: string): Promise<StoredAlert> {
  const id = await db.transaction(async (trx) => {
    const [event] = (await trx("alert_events")
      .insert({ event: AlertEvent.test, details: JSON.stringify({ requestedBy: actor }), fanned_out_at: trx.raw("clock_timestamp()") })
      .returning("id")) as Array<{ id: string }>;
    await trx("alert_deliveries").insert({ event_id: event!.id, channel, state: DeliveryState.pending });
    return event!.id;
  });
  return (await getAlert(db, id))!;
}

/**
 * A person's resend: the delivery goes back to `pending`, due now and not leased, whatever its
 * state (attempts and last error are kept, so the page still shows what happened before).
 * @returns the id of the delivery's event, or undefined when there is no such delivery.
 */
export async function resendDelivery(db: Db, deliveryId: number): Promise<string | undefined> {
  const [row] = (await db("alert_deliveries")
    .where({ id: deliveryId })
    .update({ state: DeliveryState.pending, next_attempt_at: db.raw("clock_timestamp()"), leased_until: null, updated_at: db.raw("clock_timestamp()") })
    .returning("event_id")) as Array<{ event_id: string }>;
  return row?.event_id;
}
