import { useId, useState } from "react";
import { ALERT_EVENTS, DELIVERY_STATES } from "../api/states";
import type { AlertEvent, DeliveryState } from "../api/types";
import { useDagList } from "../dags/useDags";
import { useCanOperate } from "../deadLetters/DeadLettersPage";
import { navigate, useLocation, withSearch } from "../router";
import { AlertChannels } from "./AlertChannels";
import { AlertItem, type DeliveryActions } from "./AlertItem";
import { alertApiQuery, alertSearchChanges, readAlertFilter, type AlertPageFilter } from "./alertFilter";
import { ALERT_EVENT_STYLE, DELIVERY_STATE_STYLE } from "./alertStyle";
import { useAlertList, useResendDelivery } from "./useAlerts";
import "./alerts.css";

/** DAG, event and delivery-state filters; every change goes to the URL. */
function AlertFilters({ filter, onChange }: { filter: AlertPageFilter; onChange: (changes: Partial<AlertPageFilter>) => void }) {
  const ids = { dag: useId(), event: useId(), state: useId() };
  const dagList = useDagList();
  const dags = [...new Set([...(dagList.data?.dags.map((d) => d.dagId) ?? []), ...(filter.dagId ? [filter.dagId] : [])])].sort();
  const active = filter.dagId || filter.event || filter.state;
  return (
    <form className="dl-filters card" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={ids.dag}>DAG</label>
        <select id={ids.dag} value={filter.dagId} onChange={(e) => onChange({ dagId: e.target.value })}>
          <option value="">Any DAG</option>
          {dags.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.event}>Event</label>
        <select id={ids.event} value={filter.event} onChange={(e) => onChange({ event: e.target.value as AlertEvent | "" })}>
          <option value="">Any event</option>
          {ALERT_EVENTS.map((ev) => (
            <option key={ev} value={ev}>
              {ALERT_EVENT_STYLE[ev].label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.state}>Delivery state</label>
        <select id={ids.state} value={filter.state} onChange={(e) => onChange({ state: e.target.value as DeliveryState | "" })}>
          <option value="">Any state</option>
          {DELIVERY_STATES.map((s) => (
            <option key={s} value={s}>
              {DELIVERY_STATE_STYLE[s].label}
            </option>
          ))}
        </select>
      </div>
      {active && (
        <button type="button" className="button button-ghost dl-clear" onClick={() => onChange({ dagId: "", event: "", state: "" })}>
          Clear filters
        </button>
      )}
    </form>
  );
}

/** `/alerts`: every alert event newest first with its delivery per channel; test alerts and resends for operators. */
export function AlertsPage() {
  const { search } = useLocation();
  const filter = readAlertFilter(search);
  const list = useAlertList(alertApiQuery(filter));
  const canOperate = useCanOperate();
  const resend = useResendDelivery();
  const [failed, setFailed] = useState<DeliveryActions["failed"]>(undefined);
  const alerts = list.data?.pages.flatMap((p) => p.alerts) ?? [];
  const updatedAt = list.dataUpdatedAt ? new Date(list.dataUpdatedAt) : undefined;
  const filtered = Boolean(filter.dagId || filter.event || filter.state);

  const actions: DeliveryActions = {
    canOperate,
    resending: resend.isPending ? resend.variables : undefined,
    failed,
    onResend: (deliveryId) => {
      setFailed(undefined);
      resend.mutate(deliveryId, { onError: (err) => setFailed({ deliveryId, message: err.message }) });
    },
  };

  return (
    <main className="page page-wide">
      <div className="page-head">
        <h2 className="page-title">Alerts</h2>
        {list.data && (
          <span className="count" aria-label={`${alerts.length}${list.hasNextPage ? "+" : ""} events shown`}>
            {alerts.length}
            {list.hasNextPage ? "+" : ""}
          </span>
        )}
        {updatedAt && (
          <span className={`freshness muted ${list.error ? "stale" : ""}`}>
            <span className="pulse" aria-hidden="true" />
            Updated <time dateTime={updatedAt.toISOString()}>{updatedAt.toLocaleTimeString()}</time>
          </span>
        )}
      </div>
      <div className="alerts-layout">
        <div className="stack gap">
          <AlertChannels canOperate={canOperate} />
        </div>
        <div className="stack gap">
          <AlertFilters filter={filter} onChange={(changes) => navigate(withSearch(alertSearchChanges(changes)), { replace: true })} />
          {list.error && (
            <p role="alert" className="banner banner-error small">
              {list.error.message}
            </p>
          )}
          {list.isPending ? (
            <p className="muted loading">Loading alerts…</p>
          ) : alerts.length === 0 ? (
            <div className="empty">
              <p className="empty-title">{filtered ? "No alert matches" : "No alerts yet"}</p>
              <p className="muted">{filtered ? "Change the filters." : "Failed tasks and runs, missed deadlines, failed checks and dead letters over the threshold show up here, with their delivery to each channel."}</p>
            </div>
          ) : (
            <>
              <ol className="alert-list" aria-label="Alert events">
                {alerts.map((a) => (
                  <li key={a.id}>
                    <AlertItem a={a} actions={actions} />
                  </li>
                ))}
              </ol>
              {list.hasNextPage && (
                <button type="button" className="button alert-more" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                  {list.isFetchingNextPage ? "Loading…" : "Show older events"}
                </button>
              )}
            </>
          )}
        </div>
      </div>
    </main>
  );
}
