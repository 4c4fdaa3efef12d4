import { ALERT_EVENTS, DELIVERY_STATES } from "../api/states";
import type { AlertEvent, DeliveryState } from "../api/types";

/** What the Alerts page keeps in the URL query: DAG, event kind, delivery state ("" = any). */
export interface AlertPageFilter {
  dagId: string;
  event: AlertEvent | "";
  state: DeliveryState | "";
}

export function readAlertFilter(search: URLSearchParams): AlertPageFilter {
  const event = ALERT_EVENTS.find((e) => e === search.get("event"));
  const state = DELIVERY_STATES.find((s) => s === search.get("state"));
  return { dagId: search.get("dagId") ?? "", event: event ?? "", state: state ?? "" };
}

/** The URL query changes of `changes` (empty strings leave the URL). */
export function alertSearchChanges(changes: Partial<AlertPageFilter>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(changes)) out[k] = v === "" ? undefined : v;
  return out;
}

/** The filter part of GET /api/alerts's query. */
export interface AlertApiFilter {
  dagId?: string;
  event?: AlertEvent;
  state?: DeliveryState;
}

/** The API query of a page filter (GET /api/alerts). */
export function alertApiQuery(f: AlertPageFilter): AlertApiFilter {
  return { ...(f.dagId ? { dagId: f.dagId } : {}), ...(f.event ? { event: f.event } : {}), ...(f.state ? { state: f.state } : {}) };
}
