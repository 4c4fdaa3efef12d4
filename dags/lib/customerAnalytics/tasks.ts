/**
 * Task bodies of the customer-analytics DAG. The DAG file wires them together; keeping them
 * here keeps that file a readable picture of the graph.
 */
import { NonRetryableError, type TaskContext } from "runnel";
import { z } from "zod";
import { generateMarketingEvents, generateTickets, type SourceDay } from "./generate";
import { readOrders } from "./inputs";
import { keyField, MarketingEventSchema, OrderSchema, TicketSchema } from "./schemas";
import {
  ALERT_RULES,
  createTablesSql,
  customerAlertsSql,
  customerMetricsSql,
  METRICS_HISTORY_DAYS,
  qualityCountsSql,
  TABLES,
  trailingPartitionsSql,
  type QualityCounts,
} from "./sql";

/** Run params: which region to pull and how many customers it has. */
export const ParamsSchema = z.object({
  region: z.string().regex(/^[a-z]{2,8}$/, "a short lower-case region code, e.g. eu").default("eu"),
  customers: z.number().int().positive().max(100_000).default(200),
});
export type Params = z.output<typeof ParamsSchema>;

/** Output of each extract task (stored per task instance, handed downstream). */
export type ExtractResult = { total: number; valid: number; invalid: number };
export type MetricsResult = { customers: number; ordersToday: number };
export type AlertsResult = { atRisk: number };

type Ctx<U> = TaskContext<U, Params>;

/** Fails an extract when more than this share of the day's records are malformed (about 6% of orders are, by design). */
export const MAX_INVALID_RATIO = 0.2;

/** Creates the warehouse schema and tables when missing. */
export async function ensureTables(ctx: Ctx<unknown>): Promise<{ schema: string; tables: string[] }> {
  await ctx.warehouse.query(createTablesSql(ctx.warehouse.schema));
  return { schema: ctx.warehouse.schema, tables: [...TABLES] };
}

/** The run's slice of the synthetic sources: same date and params, same records. */
function sourceDay(ctx: Ctx<unknown>): SourceDay {
  return { ds: ctx.ds, region: ctx.params.region, customers: ctx.params.customers, start: ctx.dataInterval.start, end: ctx.dataInterval.end };
}

/** One source: how to pull a day of it, its contract, its table and its record key. */
interface Source<T> {
  pull: (day: SourceDay) => unknown[] | Promise<unknown[]>;
  schema: z.ZodType<T>;
  table: string;
  key: string;
}

/** Pull the day, dead-letter what breaks the contract, overwrite partition ds with the rest. */
async function extract<T extends Record<string, unknown>>(ctx: Ctx<unknown>, source: Source<T>): Promise<ExtractResult> {
  const records = await source.pull(sourceDay(ctx));
  const valid = await ctx.validate(records, source.schema, { key: keyField(source.key), maxInvalidRatio: MAX_INVALID_RATIO });
  await ctx.partitions.overwrite(source.table, valid, { partitionColumn: "ds", partition: ctx.ds });
  return { total: records.length, valid: valid.length, invalid: records.length - valid.length };
}

/** Orders come from the file `generate_inputs` drops (see inputs.ts); tickets and events from the synthetic API. */
export const extractOrders = (ctx: Ctx<unknown>) => extract(ctx, { pull: (day) => readOrders(ctx, day.ds), schema: OrderSchema, table: "raw_orders", key: "order_id" });
export const extractTickets = (ctx: Ctx<unknown>) => extract(ctx, { pull: generateTickets, schema: TicketSchema, table: "raw_tickets", key: "ticket_id" });
export const extractMarketingEvents = (ctx: Ctx<unknown>) =>
  extract(ctx, { pull: generateMarketingEvents, schema: MarketingEventSchema, table: "raw_marketing_events", key: "event_id" });

/** Records, for lineage, the partitions of `table` a query over the `days` up to ds read. */
async function markTrailingRead(ctx: Ctx<unknown>, table: (typeof TABLES)[number], days: number): Promise<void> {
  const partitions = await ctx.warehouse.query<{ ds: string }>(trailingPartitionsSql(ctx.warehouse.schema, table, days), [ctx.ds]);
  await ctx.partitions.markRead(table, partitions.map((p) => p.ds));
}

/** Recomputes partition ds of customer_metrics from the trailing history of raw_orders. */
export async function customerMetrics(ctx: Ctx<{ orders: ExtractResult }>): Promise<MetricsResult> {
  ctx.log.info(`computing metrics for ${ctx.ds}; today's extract kept ${ctx.upstream.orders.valid} orders`);
  const rows = await ctx.warehouse.query(customerMetricsSql(ctx.warehouse.schema), [ctx.ds]);
  await markTrailingRead(ctx, "raw_orders", METRICS_HISTORY_DAYS);
  const customers = await ctx.partitions.overwrite("customer_metrics", rows, { partitionColumn: "ds", partition: ctx.ds });
  return { customers, ordersToday: ctx.upstream.orders.valid };
}

/** Recomputes partition ds of customer_alerts from 30 days of tickets and today's metrics. */
export async function customerAlerts(ctx: Ctx<{ tickets: ExtractResult; metrics: MetricsResult }>): Promise<AlertsResult> {
  const rows = await ctx.warehouse.query(customerAlertsSql(ctx.warehouse.schema), [ctx.ds]);
  await markTrailingRead(ctx, "raw_tickets", ALERT_RULES.windowDays);
  await ctx.partitions.markRead("customer_metrics", [ctx.ds]);
  const atRisk = await ctx.partitions.overwrite("customer_alerts", rows, { partitionColumn: "ds", partition: ctx.ds });
  ctx.log.info(`${atRisk} at-risk customers among ${ctx.upstream.metrics.customers} (${ctx.upstream.tickets.valid} tickets today)`);
  return { atRisk };
}

/** Writes today's check results to data_quality, then fails for good when any check failed. */
export async function dataQuality(ctx: Ctx<{ metrics: MetricsResult; alerts: AlertsResult }>): Promise<{ checks: number; failed: number }> {
  const [counts] = await ctx.warehouse.query<QualityCounts>(qualityCountsSql(ctx.warehouse.schema), [ctx.ds]);
  if (!counts) throw new Error("data_quality: the counts query returned no row");
  for (const table of ["raw_orders", "customer_metrics", "customer_alerts"]) await ctx.partitions.markRead(table, [ctx.ds]);
  const checks = qualityChecks(counts, ctx.upstream.metrics, ctx.upstream.alerts);
  // Written before failing, so the failed checks can be inspected in the warehouse.
  await ctx.partitions.overwrite("data_quality", checks, { partitionColumn: "ds", partition: ctx.ds });
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    // Rerunning cannot fix bad data: a retry would only delay the alarm.
    const summary = failed.map((c) => `${c.check_name} (observed ${c.observed}, expected ${c.expectation})`).join("; ");
    throw new NonRetryableError(`data quality failed for ${ctx.ds}: ${summary}`);
  }
  return { checks: checks.length, failed: 0 };
}

/** One row of the data_quality table. */
export type QualityCheck = { check_name: string; passed: boolean; observed: number; expectation: string };

/** Today's checks, judged from warehouse counts and from what the upstream tasks said they wrote. */
export function qualityChecks(counts: QualityCounts, metrics: MetricsResult, alerts: AlertsResult): QualityCheck[] {
  const check = (name: string, observed: number, expectation: string, passed: boolean): QualityCheck => ({
    check_name: name,
    observed,
    expectation,
    passed,
  });
  return [
    check("raw_orders_not_empty", counts.raw_orders_rows, "> 0", counts.raw_orders_rows > 0),
    check("raw_orders_match_extract", counts.raw_orders_rows, `= ${metrics.ordersToday}`, counts.raw_orders_rows === metrics.ordersToday),
    check("raw_orders_no_null_customer", counts.raw_orders_null_customer, "= 0", counts.raw_orders_null_customer === 0),
    check("customer_metrics_not_empty", counts.metrics_rows, "> 0", counts.metrics_rows > 0),
    check("customer_metrics_match_task", counts.metrics_rows, `= ${metrics.customers}`, counts.metrics_rows === metrics.customers),
    check("customer_metrics_no_null_customer", counts.metrics_null_customer, "= 0", counts.metrics_null_customer === 0),
    check("customer_metrics_no_null_revenue", counts.metrics_null_revenue, "= 0", counts.metrics_null_revenue === 0),
    check("customer_metrics_unique_customer", counts.metrics_duplicate_customers, "= 0", counts.metrics_duplicate_customers === 0),
    check("customer_alerts_match_task", counts.alerts_rows, `= ${alerts.atRisk}`, counts.alerts_rows === alerts.atRisk),
    check("customer_alerts_no_null_customer", counts.alerts_null_customer, "= 0", counts.alerts_null_customer === 0),
  ];
}
