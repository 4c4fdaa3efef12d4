import { Router, type Request } from "express";
import { z } from "zod";
import type { AlertsConfig } from "../../config/config";
import { OperatorChannel } from "../../model/alerts";
import type { Runtime } from "../../runtime/runtime";
import { getAlert, insertTestAlert, listAlerts, resendDelivery, type StoredAlert } from "../../store/alertQueries";
import { principalOf, requireRole } from "../auth/authenticate";
import { AlertListQuerySchema, TestAlertRequestSchema, type Alert, type AlertChannel, type AlertChannelsResponse, type AlertListResponse } from "../contract";
import { decodeCursor, encodeCursor, HttpError, idParam, parseWith } from "../http";
import { recordAction } from "../recordAction";

const CursorSchema = z.object({ s: z.number().int().positive() });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function present(a: StoredAlert): Alert {
  return {
    ...a,
    logicalDate: a.logicalDate?.toISOString() ?? null,
    occurredAt: a.occurredAt.toISOString(),
    fannedOutAt: a.fannedOutAt?.toISOString() ?? null,
    deliveries: a.deliveries.map((d) => ({ ...d, nextAttemptAt: d.nextAttemptAt.toISOString(), sentAt: d.sentAt?.toISOString() ?? null, updatedAt: d.updatedAt.toISOString() })),
  };
}

/** The host (and port) of a URL: where a webhook or Slack channel goes, without the path that may hold its token. */
const hostOf = (url: string): string => new URL(url).host;

/** The configured operator channels, described without their secrets. */
export function configuredChannels(alerts: AlertsConfig): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (alerts.webhook) channels.push({ channel: OperatorChannel.webhook, target: hostOf(alerts.webhook.url) });
  if (alerts.slackUrl) channels.push({ channel: OperatorChannel.slack, target: hostOf(alerts.slackUrl) });
  if (alerts.email) channels.push({ channel: OperatorChannel.email, target: alerts.email.to.join(", ") });
  return channels;
}

const CHANNEL_SETTING: Record<OperatorChannel, string> = {
  webhook: "RUNNEL_ALERT_WEBHOOK_URL",
  slack: "RUNNEL_ALERT_SLACK_URL",
  email: "RUNNEL_ALERT_EMAIL_TO and RUNNEL_SMTP_URL",
};

async function list(rt: Runtime, query: unknown): Promise<AlertListResponse> {
  const q = parseWith(AlertListQuerySchema, query, "query");
  const beforeSeq = q.cursor ? decodeCursor(CursorSchema, q.cursor).s : undefined;
  const { alerts, nextBeforeSeq } = await listAlerts(rt.db, { dagId: q.dagId, event: q.event, deliveryState: q.state, beforeSeq, limit: q.limit });
  return { alerts: alerts.map(present), nextCursor: nextBeforeSeq === null ? null : encodeCursor({ s: nextBeforeSeq }) };
}

async function mustGet(rt: Runtime, id: string): Promise<StoredAlert> {
  const alert = await getAlert(rt.db, id);
  if (!alert) throw new HttpError(404, "not_found", `no alert ${id}`);
  return alert;
}

function alertIdParam(req: Request): string {
  const raw = req.params.id;
  if (typeof raw !== "string" || !UUID.test(raw)) throw new HttpError(400, "invalid_request", "id must be an alert id (a UUID)");
  return raw.toLowerCase();
}

/**
 * `/api/alerts/*` (mounted after `authenticate`): the alert events and their delivery per channel
 * for viewers; a test alert and a delivery's resend for operators (audited). Nothing is sent here:
 * the sender delivers what these write.
 */
export function alertsRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/alerts", async (req, res) => void res.json(await list(rt, req.query)));
  r.get("/alerts/channels", (_req, res) => {
    const body: AlertChannelsResponse = { channels: configuredChannels(rt.config.alerts) };
    res.json(body);
  });
  r.post("/alerts/test", requireRole("operator"), async (req, res) => {
    const { channel } = parseWith(TestAlertRequestSchema, req.body, "body");
    if (!configuredChannels(rt.config.alerts).some((c) => c.channel === channel)) {
      throw new HttpError(400, "channel_not_configured", `the ${channel} channel is not configured (set ${CHANNEL_SETTING[channel]})`);
    }
    const alert = await insertTestAlert(rt.db, channel, principalOf(res).user.username);
    await recordAction(rt.db, res, "alert.test", `alert:${alert.id}`, { channel });
    res.status(201).json(present(alert));
  });
  r.post("/alerts/deliveries/:id/resend", requireRole("operator"), async (req, res) => {
    const id = idParam(req, "id");
    const eventId = await resendDelivery(rt.db, id);
    if (eventId === undefined) throw new HttpError(404, "not_found", `no alert delivery ${id}`);
    const alert = await mustGet(rt, eventId);
    await recordAction(rt.db, res, "alert.resend", `alert_delivery:${id}`, { alertId: eventId, channel: alert.deliveries.find((d) => d.id === id)?.channel });
    res.json(present(alert));
  });
  r.get("/alerts/:id", async (req, res) => void res.json(present(await mustGet(rt, alertIdParam(req)))));
  return r;
}
