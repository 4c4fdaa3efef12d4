import { useId } from "react";
import type { Alert, AlertDelivery } from "../api/types";
import { logicalDateLabel, relativeTime, utcDateTime } from "../format/time";
import { Link, dagPath, runPath } from "../router";
import { StateBadge } from "../ui/StateBadge";
import { ALERT_EVENT_STYLE, DELIVERY_STATE_STYLE, channelLabel } from "./alertStyle";

/** What a delivery row can do: resend (operators), and the error of the last resend of this delivery. */
export interface DeliveryActions {
  canOperate: boolean;
  onResend: (deliveryId: number) => void;
  /** The delivery whose resend is on its way. */
  resending: number | undefined;
  /** The delivery whose last resend failed, with why. */
  failed: { deliveryId: number; message: string } | undefined;
}

/** "Task failed: etl / load" — the event in words, for its accessible name. */
export function alertTitle(a: Alert): string {
  const label = ALERT_EVENT_STYLE[a.event].label;
  if (a.event === "test") return label;
  const subject = [a.dagId, a.taskId].filter((s): s is string => s !== null).join(" / ");
  return subject ? `${label}: ${subject}` : label;
}

function When({ iso, prefix }: { iso: string; prefix?: string }) {
  return (
    <span title={utcDateTime(iso)}>
      {prefix && `${prefix} `}
      <time dateTime={iso}>{relativeTime(iso)}</time>
    </span>
  );
}

function DeliveryItem({ d, actions }: { d: AlertDelivery; actions: DeliveryActions }) {
  const name = channelLabel(d.channel);
  const failedResend = actions.failed?.deliveryId === d.id ? actions.failed.message : undefined;
  return (
    <li className="alert-delivery" aria-label={`${name} delivery`}>
      <div className="alert-delivery-line">
        <span className="alert-channel mono" title={d.channel}>
          {name}
        </span>
        <StateBadge style={DELIVERY_STATE_STYLE[d.state]} />
        <span className="muted small">
          {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
        </span>
        {d.state === "sent" && d.sentAt ? (
          <span className="muted small">
            <When iso={d.sentAt} prefix="sent" />
          </span>
        ) : d.state === "pending" || d.state === "failing" ? (
          <span className="muted small">{Date.parse(d.nextAttemptAt) <= Date.now() ? "due now" : <When iso={d.nextAttemptAt} prefix="next try" />}</span>
        ) : null}
        {d.state !== "pending" && (
          <button
            type="button"
            className="button alert-resend"
            aria-label={`Resend to ${name}`}
            disabled={!actions.canOperate || actions.resending === d.id}
            title={actions.canOperate ? "Deliver this event to this channel again" : "Operators only"}
            onClick={() => actions.onResend(d.id)}
          >
            {actions.resending === d.id ? "Resending…" : "Resend"}
          </button>
        )}
      </div>
      {d.lastError !== null && (
        <p className="alert-delivery-error error-inline">
          <span className="sr-only">Last error: </span>
          {d.lastError}
        </p>
      )}
      {failedResend && (
        <p role="alert" className="alert-delivery-error error-text small">
          Resend failed: {failedResend}
        </p>
      )}
    </li>
  );
}

/** Where the event points: DAG, run, task and try, each a link to its page. */
function Subject({ a }: { a: Alert }) {
  if (a.event === "test") {
    const by = typeof a.details.requestedBy === "string" ? a.details.requestedBy : undefined;
    return <span className="muted">{by ? `Requested by ${by}` : "Requested from the Alerts page"}</span>;
  }
  return (
    <span className="alert-subject">
      {a.dagId !== null && (
        <Link to={dagPath(a.dagId)} className="mono" aria-label={`DAG ${a.dagId}`}>
          {a.dagId}
        </Link>
      )}
      {a.dagRunId !== null && (
        <>
          <span className="muted" aria-hidden="true">
            {" "}
            ›{" "}
          </span>
          <Link to={runPath(a.dagRunId)} className="mono" aria-label={`Run ${a.runId ?? a.dagRunId}`}>
            {a.logicalDate ? logicalDateLabel(a.logicalDate) : (a.runId ?? `run ${a.dagRunId}`)}
          </Link>
        </>
      )}
      {a.taskId !== null && (
        <>
          <span className="muted" aria-hidden="true">
            {" "}
            ›{" "}
          </span>
          {a.dagRunId !== null && a.taskInstanceId !== null ? (
            <Link to={`${runPath(a.dagRunId)}?ti=${a.taskInstanceId}`} className="mono" aria-label={`Task ${a.taskId}`}>
              {a.taskId}
            </Link>
          ) : (
            <span className="mono">{a.taskId}</span>
          )}
        </>
      )}
      {a.tryNumber !== null && <span className="muted small"> · try {a.tryNumber}</span>}
    </span>
  );
}

/** One alert event: what, about which DAG/run/task, when, the error (as text), and its delivery per channel. */
export function AlertItem({ a, actions }: { a: Alert; actions: DeliveryActions }) {
  const titleId = useId();
  const extra = Object.fromEntries(Object.entries(a.details).filter(([k]) => k !== "requestedBy"));
  return (
    <article className="card alert-item" aria-labelledby={titleId}>
      <header className="alert-head">
        <span id={titleId} className="sr-only">
          {alertTitle(a)}
        </span>
        <StateBadge style={ALERT_EVENT_STYLE[a.event]} />
        <Subject a={a} />
        <span className="alert-when muted small">
          <When iso={a.occurredAt} />
        </span>
      </header>
      {a.error !== null && <p className="alert-error error-inline">{a.error}</p>}
      {Object.keys(extra).length > 0 && (
        <details className="alert-details">
          <summary>Details</summary>
          <pre className="mono small">{JSON.stringify(extra, null, 2)}</pre>
        </details>
      )}
      {a.deliveries.length === 0 ? (
        <p className="muted small alert-no-delivery">{a.fannedOutAt === null ? "Waiting for the sender to pick it up…" : "No channel or callback receives this event."}</p>
      ) : (
        <ul className="alert-deliveries" aria-label="Deliveries">
          {a.deliveries.map((d) => (
            <DeliveryItem key={d.id} d={d} actions={actions} />
          ))}
        </ul>
      )}
    </article>
  );
}
