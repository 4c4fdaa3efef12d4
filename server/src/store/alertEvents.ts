import type { AlertEvent } from "../model/alerts";

/**
 * One alert_events row (migration 0017) as the store hands it out: what the sender
 * (alertOutbox.ts) and the Alerts page (alertQueries.ts) both read, mapped in one place.
 */
export interface AlertEventRecord {
  /** Stable per event: the webhook's `id` and `Runnel-Alert-Id`. */
  id: string;
  seq: number;
  event: AlertEvent;
  dagId: string | null;
  dagRunId: number | null;
  runId: string | null;
  logicalDate: Date | null;
  taskInstanceId: number | null;
  taskId: string | null;
  tryNumber: number | null;
  error: string | null;
  details: Record<string, unknown>;
  occurredAt: Date;
}

/** The columns of an AlertEventRecord, as selected from alert_events (prefix them with an alias in joins). */
export const ALERT_EVENT_COLUMNS = ["id", "seq", "event", "dag_id", "dag_run_id", "run_id", "logical_date", "task_instance_id", "task_id", "try_number", "error", "details", "occurred_at"] as const;

/** An alert_events row as pg returns ALERT_EVENT_COLUMNS. */
export interface AlertEventDbRow {
  id: string;
  seq: number | string;
  event: AlertEvent;
  dag_id: string | null;
  dag_run_id: number | string | null;
  run_id: string | null;
  logical_date: Date | null;
  task_instance_id: number | string | null;
  task_id: string | null;
  try_number: number | null;
  error: string | null;
  details: Record<string, unknown> | null;
  occurred_at: Date;
}

export function toAlertEvent(r: AlertEventDbRow): AlertEventRecord {
  return {
    id: r.id,
    seq: Number(r.seq),
    event: r.event,
    dagId: r.dag_id,
    dagRunId: r.dag_run_id === null ? null : Number(r.dag_run_id),
    runId: r.run_id,
    logicalDate: r.logical_date,
    taskInstanceId: r.task_instance_id === null ? null : Number(r.task_instance_id),
    taskId: r.task_id,
    tryNumber: r.try_number,
    error: r.error,
    details: r.details ?? {},
    occurredAt: r.occurred_at,
  };
}
