/**
 * Contracts of the three synthetic sources. Records that break them become dead letters
 * (payload + zod issues) instead of rows, and can be fixed and replayed from the UI.
 */
import { z } from "zod";

export const CURRENCIES = ["EUR", "USD", "GBP"] as const;
export const ORDER_STATUSES = ["placed", "shipped", "delivered", "refunded"] as const;
export const TICKET_PRIORITIES = ["low", "normal", "high", "urgent"] as const;
/** Priorities that count towards the "two high-priority tickets" alert rule. */
export const HIGH_PRIORITIES: readonly string[] = ["high", "urgent"];
export const TICKET_CATEGORIES = ["billing", "shipping", "product", "account"] as const;
export const MARKETING_CHANNELS = ["email", "search", "social", "display"] as const;
export const MARKETING_EVENT_TYPES = ["impression", "click", "open", "unsubscribe"] as const;

export const OrderSchema = z.object({
  order_id: z.string().regex(/^ord_\d{8}_\d{5}$/),
  customer_id: z.string().min(1),
  region: z.string().min(1),
  ordered_at: z.iso.datetime(),
  /** Money in the order's currency; malformed orders get this wrong, so it is what people edit before a replay. */
  amount: z.number().positive().max(100_000),
  currency: z.enum(CURRENCIES),
  status: z.enum(ORDER_STATUSES),
});
export type Order = z.infer<typeof OrderSchema>;

export const TicketSchema = z.object({
  ticket_id: z.string().min(1),
  customer_id: z.string().min(1),
  opened_at: z.iso.datetime(),
  priority: z.enum(TICKET_PRIORITIES),
  category: z.enum(TICKET_CATEGORIES),
});
export type Ticket = z.infer<typeof TicketSchema>;

export const MarketingEventSchema = z.object({
  event_id: z.string().min(1),
  customer_id: z.string().min(1),
  occurred_at: z.iso.datetime(),
  channel: z.enum(MARKETING_CHANNELS),
  event_type: z.enum(MARKETING_EVENT_TYPES),
  campaign: z.string().min(1),
});
export type MarketingEvent = z.infer<typeof MarketingEventSchema>;

/** A `ctx.validate` key function reading one string field; throws (so no key is stored) when it is missing. */
export function keyField(field: string): (record: unknown) => string {
  return (record) => {
    const value = typeof record === "object" && record !== null ? (record as Record<string, unknown>)[field] : undefined;
    if (typeof value !== "string") throw new Error(`record has no ${field}`);
    return value;
  };
}
