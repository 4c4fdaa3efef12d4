/** API contract: alerts (the outbox of alert events and their delivery per channel). See ../contract.ts. */
import { z } from "zod";
import { ALERT_EVENTS, DELIVERY_STATES, OPERATOR_CHANNELS } from "../../model/alerts";
import { cursorInput, isoString, jsonObject, limitInput } from "./fields";

/** What an alert is about (AlertEvent in model/alerts.ts). */
export const AlertEventSchema = z.enum(ALERT_EVENTS);
/** The state of one delivery: pending, sent, failing (will try again), given_up. */
export const DeliveryStateSchema = z.enum(DELIVERY_STATES);
/** An operator channel, set by environment: webhook, slack, email. */
export const OperatorChannelSchema = z.enum(OPERATOR_CHANNELS);

/** Query of `GET /api/alerts`: newest first; `state` keeps events with at least one delivery in that state. */
export const AlertListQuerySchema = z.object({
  dagId: z.string().min(1).max(250).optional(),
  event: AlertEventSchema.optional(),
  state: DeliveryStateSchema.optional(),
  limit: limitInput(50, 200),
  cursor: cursorInput.optional(),
});
export type AlertListQuery = z.input<typeof AlertListQuerySchema>;

/**
 * One event's delivery to one channel: `webhook`, `slack`, `email`, or a DAG-file callback
 * (`callback:dag.onFailure[0]`, `callback:task.<taskId>.onRetry[1]`). `lastError` is the last
 * failed try's error (text; kept after a later success or a resend); `nextAttemptAt` is when the
 * sender tries a pending or failing delivery.
 */
export const AlertDeliverySchema = z.object({
  id: z.number().int(),
  channel: z.string(),
  state: DeliveryStateSchema,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: isoString,
  sentAt: isoString.nullable(),
  updatedAt: isoString,
});
export type AlertDelivery = z.infer<typeof AlertDeliverySchema>;

/**
 * An alert event with its deliveries. `id` is the stable alert id (the webhook's `id` and
 * `Runnel-Alert-Id`). The DAG/run/task fields are null when the event is not about one (a test
 * alert; a dead_letters_over event names only its DAG). `error` and `details` are data: render them
 * as text. `fannedOutAt` is null until the sender has created the event's deliveries.
 */
export const AlertSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  event: AlertEventSchema,
  dagId: z.string().nullable(),
  dagRunId: z.number().int().nullable(),
  runId: z.string().nullable(),
  logicalDate: isoString.nullable(),
  taskInstanceId: z.number().int().nullable(),
  taskId: z.string().nullable(),
  tryNumber: z.number().int().nullable(),
  error: z.string().nullable(),
  details: jsonObject,
  occurredAt: isoString,
  fannedOutAt: isoString.nullable(),
  deliveries: z.array(AlertDeliverySchema),
});
export type Alert = z.infer<typeof AlertSchema>;

/** Body of `GET /api/alerts`. */
export const AlertListResponseSchema = z.object({ alerts: z.array(AlertSchema), nextCursor: z.string().nullable() });
export type AlertListResponse = z.infer<typeof AlertListResponseSchema>;

/** A configured operator channel. `target` says where it goes without its secrets: the webhook's or Slack's host, the email recipients. */
export const AlertChannelSchema = z.object({ channel: OperatorChannelSchema, target: z.string() });
export type AlertChannel = z.infer<typeof AlertChannelSchema>;

/** Body of `GET /api/alerts/channels`: the configured channels (none configured: an empty list). */
export const AlertChannelsResponseSchema = z.object({ channels: z.array(AlertChannelSchema) });
export type AlertChannelsResponse = z.infer<typeof AlertChannelsResponseSchema>;

/** Body of `POST /api/alerts/test`: the configured channel to send a `test` event to. */
export const TestAlertRequestSchema = z.object({ channel: OperatorChannelSchema });
export type TestAlertRequest = z.infer<typeof TestAlertRequestSchema>;
