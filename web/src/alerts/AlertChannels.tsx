import { useState } from "react";
import type { AlertChannel, OperatorChannel } from "../api/types";
import { StateBadge } from "../ui/StateBadge";
import { DELIVERY_STATE_STYLE, channelLabel } from "./alertStyle";
import { useAlert, useAlertChannels, useSendTestAlert } from "./useAlerts";

/** How the test alert just sent to one channel is doing (its delivery, refreshed until it is sent or given up). */
function TestResult({ alertId, channel }: { alertId: string; channel: OperatorChannel }) {
  const alert = useAlert(alertId);
  const delivery = alert.data?.deliveries.find((d) => d.channel === channel);
  return (
    <div role="status" aria-label={`Test alert to ${channelLabel(channel)}`} className="alert-test-result small">
      {delivery ? (
        <>
          <span>Test alert:</span> <StateBadge style={DELIVERY_STATE_STYLE[delivery.state]} />
          {delivery.state === "pending" && <span className="muted"> waiting for the sender…</span>}
          {delivery.state === "failing" && <span className="muted"> will try again</span>}
          {delivery.lastError !== null && delivery.state !== "sent" && <p className="error-inline alert-delivery-error">{delivery.lastError}</p>}
        </>
      ) : (
        <span className="muted">Test alert queued…</span>
      )}
    </div>
  );
}

function ChannelRow({ c, canOperate }: { c: AlertChannel; canOperate: boolean }) {
  const send = useSendTestAlert();
  const [sentId, setSentId] = useState<string | undefined>(undefined);
  const name = channelLabel(c.channel);
  return (
    <li className="alert-channel-row">
      <div className="alert-channel-line">
        <div className="stack">
          <strong>{name}</strong>
          <span className="mono small muted alert-target" title={c.target}>
            {c.target}
          </span>
        </div>
        <button
          type="button"
          className="button"
          aria-label={`Send a test alert to ${name}`}
          disabled={!canOperate || send.isPending}
          title={canOperate ? `Send a test event to ${name} only` : "Operators only"}
          onClick={() => send.mutate(c.channel, { onSuccess: (a) => setSentId(a.id) })}
        >
          {send.isPending ? "Sending…" : "Send a test alert"}
        </button>
      </div>
      {send.error && (
        <p role="alert" className="error-text small alert-test-result">
          {send.error.message}
        </p>
      )}
      {sentId && <TestResult key={sentId} alertId={sentId} channel={c.channel} />}
    </li>
  );
}

/** The operator channels set by environment, each with "Send a test alert". */
export function AlertChannels({ canOperate }: { canOperate: boolean }) {
  const channels = useAlertChannels();
  const list = channels.data?.channels ?? [];
  return (
    <section className="card" aria-labelledby="alert-channels-title">
      <div className="card-head">
        <h3 id="alert-channels-title" className="section-title">
          Channels
        </h3>
      </div>
      {channels.error ? (
        <p role="alert" className="banner banner-error small card-pad">
          {channels.error.message}
        </p>
      ) : channels.isPending ? (
        <p className="muted small card-pad">Loading…</p>
      ) : list.length === 0 ? (
        <p className="muted small card-pad">
          No channel is configured: set <code>RUNNEL_ALERT_WEBHOOK_URL</code>, <code>RUNNEL_ALERT_SLACK_URL</code> or <code>RUNNEL_ALERT_EMAIL_TO</code> with <code>RUNNEL_SMTP_URL</code>. DAG-file
          callbacks still run.
        </p>
      ) : (
        <ul className="alert-channel-list" aria-label="Configured channels">
          {list.map((c) => (
            <ChannelRow key={c.channel} c={c} canOperate={canOperate} />
          ))}
        </ul>
      )}
    </section>
  );
}
