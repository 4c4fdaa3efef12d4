import type { AlertEvent } from "../model/alerts";
import type { AlertEventRow } from "../store/alertOutbox";

/**
 * What every channel says about an event: the webhook body as is, the facts of the Slack message
 * and the email, and (with dates as Date) the context of DAG-file callbacks. One builder for all.
 */
export interface AlertPayload {
  /** Stable per event (also header `Runnel-Alert-Id`): a redelivery carries the same id. */
  id: string;
  event: AlertEvent;
  dagId: string | null;
  runId: string | null;
  /** ISO 8601. */
  logicalDate: string | null;
  /** Present when the event is about a task. */
  taskId?: string;
  tryNumber: number | null;
  /** The error message, for failures. */
  error: string | null;
  /** The dashboard page of the task, run or DAG (RUNNEL_PUBLIC_URL). */
  url: string;
  /** ISO 8601. */
  occurredAt: string;
  details: Record<string, unknown>;
}

/**
 * The dashboard page an event points at, under `publicUrl`: the run page with the task instance
 * selected (`/runs/<id>?ti=<id>`) for a task event, the run page for a run event, the DAG page
 * when there is no run (dead_letters_over, or a run deleted since), the Alerts page otherwise.
 */
export function alertUrl(publicUrl: string, e: Pick<AlertEventRow, "dagId" | "dagRunId" | "taskInstanceId">): string {
  const base = publicUrl.replace(/\/+$/, "");
  if (e.dagRunId !== null) {
    const run = `${base}/runs/${encodeURIComponent(String(e.dagRunId))}`;
    return e.taskInstanceId !== null ? `${run}?ti=${encodeURIComponent(String(e.taskInstanceId))}` : run;
  }
  if (e.dagId !== null) return `${base}/dags/${encodeURIComponent(e.dagId)}`;
  return `${base}/alerts`;
}

/** The payload of `e`, with links under `publicUrl`. */
export function buildAlertPayload(e: AlertEventRow, publicUrl: string): AlertPayload {
  return {
    id: e.id,
    event: e.event,
    dagId: e.dagId,
    runId: e.runId,
    logicalDate: e.logicalDate ? e.logicalDate.toISOString() : null,
    ...(e.taskId !== null ? { taskId: e.taskId } : {}),
    tryNumber: e.tryNumber,
    error: e.error,
    url: alertUrl(publicUrl, e),
    occurredAt: e.occurredAt.toISOString(),
    details: e.details,
  };
}

/** A logical date for a subject line: "2024-01-01" at midnight UTC, else "2024-01-01T06:30Z" (seconds when set). */
export function shortDate(iso: string | null): string {
  if (iso === null) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const full = d.toISOString();
  if (full.endsWith("T00:00:00.000Z")) return full.slice(0, 10);
  return full.endsWith(":00.000Z") ? `${full.slice(0, 16)}Z` : `${full.slice(0, 19)}Z`;
}

/** "dag.task" or "dag" (or "Runnel" when the event has no DAG). */
export function alertSubject(p: AlertPayload): string {
  return p.dagId === null ? "Runnel" : p.taskId !== undefined ? `${p.dagId}.${p.taskId}` : p.dagId;
}

/** One line naming the event, e.g. "task_failed: sales.extract 2024-01-01". */
export function alertHeadline(p: AlertPayload): string {
  const date = shortDate(p.logicalDate);
  return `${p.event}: ${alertSubject(p)}${date ? ` ${date}` : ""}`;
}

/** The facts of an alert as label/value pairs, in the order people read them (absent ones left out). */
export function alertFacts(p: AlertPayload): Array<[string, string]> {
  const facts: Array<[string, string]> = [];
  if (p.dagId !== null) facts.push(["DAG", p.dagId]);
  if (p.taskId !== undefined) facts.push(["Task", p.taskId]);
  if (p.runId !== null) facts.push(["Run", p.runId]);
  if (p.logicalDate !== null) facts.push(["Logical date", p.logicalDate]);
  if (p.tryNumber !== null) facts.push(["Try", String(p.tryNumber)]);
  if (p.error !== null) facts.push(["Error", p.error]);
  facts.push(["Occurred", p.occurredAt]);
  return facts;
}
