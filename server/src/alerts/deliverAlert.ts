import type { AlertsConfig } from "../config/config";
import { OPERATOR_CHANNELS, type OperatorChannel } from "../model/alerts";
import type { DagDefinition } from "../sdk/defineDag";
import { isNotifier, type Notifier } from "../sdk/notify";
import type { ClaimedDelivery } from "../store/alertOutbox";
import { buildAlertPayload, type AlertPayload } from "./alertPayload";
import { sendEmail } from "./channels/email";
import { sendSlack } from "./channels/slack";
import { sendWebhook } from "./channels/webhook";
import { callbackContext, parseCallbackChannel, resolveCallback } from "./dagCallbacks";

/** The `channel` label of runnel_alert_deliveries_total: the operator channel, or "callback" for any DAG-file callback. */
export type MetricChannel = OperatorChannel | "callback";

function isOperatorChannel(channel: string): channel is OperatorChannel {
  return (OPERATOR_CHANNELS as readonly string[]).includes(channel);
}

export function metricChannel(channel: string): MetricChannel {
  return isOperatorChannel(channel) ? channel : "callback";
}

/** What a delivery needs besides the row: where the channels go, and this process's DAGs (for callbacks). */
export interface DeliveryTargets {
  alerts: AlertsConfig;
  dags: { get(dagId: string): { dag: DagDefinition } | undefined };
  /** Per HTTP request / SMTP step. */
  sendTimeoutMs: number;
  /** How long a callback function may run before its attempt counts as failed. */
  callbackTimeoutMs: number;
}

/** The From of alert emails when RUNNEL_ALERT_EMAIL_FROM is unset. */
function emailFrom(alerts: AlertsConfig): string {
  return alerts.email?.from ?? alerts.emailFrom ?? `runnel@${new URL(alerts.publicUrl).hostname}`;
}

async function sendOperator(channel: OperatorChannel, payload: AlertPayload, t: DeliveryTargets): Promise<void> {
  const a = t.alerts;
  switch (channel) {
    case "webhook":
      if (!a.webhook) throw new Error("RUNNEL_ALERT_WEBHOOK_URL is not set in this scheduler process");
      return sendWebhook(a.webhook.url, payload, a.webhook.secret, t.sendTimeoutMs);
    case "slack":
      if (!a.slackUrl) throw new Error("RUNNEL_ALERT_SLACK_URL is not set in this scheduler process");
      return sendSlack(a.slackUrl, payload, t.sendTimeoutMs);
    case "email":
      if (!a.email) throw new Error("RUNNEL_ALERT_EMAIL_TO / RUNNEL_SMTP_URL are not set in this scheduler process");
      return sendEmail(a.email.smtpUrl, payload, a.email.from, a.email.to, t.sendTimeoutMs);
  }
}

async function sendNotifier(n: Notifier, payload: AlertPayload, t: DeliveryTargets): Promise<void> {
  switch (n.kind) {
    case "webhook":
      return sendWebhook(n.url ?? "", payload, n.secret, t.sendTimeoutMs);
    case "slack":
      return sendSlack(n.url ?? "", payload, t.sendTimeoutMs);
    case "email": {
      const smtpUrl = n.smtpUrl ?? t.alerts.smtpUrl ?? t.alerts.email?.smtpUrl ?? null;
      if (smtpUrl === null) throw new Error("email notifier: no SMTP server (set RUNNEL_SMTP_URL on the scheduler or pass email(to, { smtpUrl }))");
      return sendEmail(smtpUrl, payload, emailFrom(t.alerts), n.to, t.sendTimeoutMs);
    }
  }
}

/** Runs `fn`, failing when it throws, rejects, or has not settled after `timeoutMs` (it cannot be stopped; it is no longer waited for). */
async function withTimeout(fn: () => void | Promise<void>, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runCallback(d: ClaimedDelivery, payload: AlertPayload, t: DeliveryTargets): Promise<void> {
  const ref = parseCallbackChannel(d.channel);
  if (!ref) throw new Error(`unknown alert channel "${d.channel}"`);
  const dagId = d.event.dagId;
  const loaded = dagId === null ? undefined : t.dags.get(dagId);
  if (!loaded) throw new Error(`DAG ${dagId ?? "(none)"} is not loaded in this scheduler process (import error, or its file was removed), so its callbacks cannot run`);
  const cb = resolveCallback(loaded.dag, ref);
  if (isNotifier(cb)) return withTimeout(() => sendNotifier(cb, payload, t), 3 * t.sendTimeoutMs, `${cb.kind} notifier`);
  const ctx = callbackContext(d.event, payload);
  await withTimeout(() => cb(ctx), t.callbackTimeoutMs, `${ref.hook} callback`);
}

/**
 * Sends one claimed delivery: an operator channel (webhook, Slack, email), a DAG-file notifier, or
 * a callback function. Resolves when the receiver took it; rejects with a message for the Alerts
 * page otherwise. Changes nothing in the database.
 */
export async function deliverAlert(d: ClaimedDelivery, t: DeliveryTargets): Promise<void> {
  const payload = buildAlertPayload(d.event, t.alerts.publicUrl);
  // Each network step has its own timeout; this bounds a send as a whole (SMTP has several steps),
  // so one stuck receiver cannot hold up the sender's pass.
  if (isOperatorChannel(d.channel)) return withTimeout(() => sendOperator(d.channel as OperatorChannel, payload, t), 3 * t.sendTimeoutMs, `${d.channel} delivery`);
  return runCallback(d, payload, t);
}
