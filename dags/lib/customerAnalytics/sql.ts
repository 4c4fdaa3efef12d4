/**
 * The warehouse side of the customer-analytics example: table definitions and the SQL that
 * turns raw partitions into metrics, alerts and data-quality results. Every query reads one
 * logical date ($1, YYYY-MM-DD) so a rerun of a date recomputes exactly that date.
 */
import { HIGH_PRIORITIES } from "./schemas";

/** Warehouse tables this pipeline owns, each partitioned by its `ds date` column. */
export const TABLES = ["raw_orders", "raw_tickets", "raw_marketing_events", "customer_metrics", "customer_alerts", "data_quality"] as const;

/** Refuses anything but a plain identifier, then quotes it: the schema name comes from configuration. */
export function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * One script, sent without parameters, so Postgres runs it as a single implicit transaction: the
 * advisory lock keeps two runs (a backfill next to the daily run) from racing on CREATE TABLE.
 */
export function createTablesSql(schema: string): string {
  const s = ident(schema);
  return `
    SELECT pg_advisory_xact_lock(hashtext('runnel.customer_analytics.ensure_tables'));
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.raw_orders (
      ds date NOT NULL, order_id text NOT NULL, customer_id text NOT NULL, region text NOT NULL,
      ordered_at timestamptz NOT NULL, amount numeric(12,2) NOT NULL, currency text NOT NULL, status text NOT NULL);
    CREATE INDEX IF NOT EXISTS raw_orders_ds_customer_idx ON ${s}.raw_orders (ds, customer_id);
    CREATE TABLE IF NOT EXISTS ${s}.raw_tickets (
      ds date NOT NULL, ticket_id text NOT NULL, customer_id text NOT NULL, opened_at timestamptz NOT NULL,
      priority text NOT NULL, category text NOT NULL);
    CREATE INDEX IF NOT EXISTS raw_tickets_ds_customer_idx ON ${s}.raw_tickets (ds, customer_id);
    CREATE TABLE IF NOT EXISTS ${s}.raw_marketing_events (
      ds date NOT NULL, event_id text NOT NULL, customer_id text NOT NULL, occurred_at timestamptz NOT NULL,
      channel text NOT NULL, event_type text NOT NULL, campaign text NOT NULL);
    CREATE INDEX IF NOT EXISTS raw_marketing_events_ds_idx ON ${s}.raw_marketing_events (ds);
    CREATE TABLE IF NOT EXISTS ${s}.customer_metrics (
      ds date NOT NULL, customer_id text, region text, order_count integer, revenue numeric(14,2),
      avg_order_value numeric(12,2), first_order_date date, last_order_date date,
      days_since_last_order integer, lifetime_value numeric(14,2));
    CREATE INDEX IF NOT EXISTS customer_metrics_ds_customer_idx ON ${s}.customer_metrics (ds, customer_id);
    CREATE TABLE IF NOT EXISTS ${s}.customer_alerts (
      ds date NOT NULL, customer_id text, tickets_30d integer, high_priority_tickets_30d integer, reason text,
      revenue numeric(14,2), lifetime_value numeric(14,2), days_since_last_order integer);
    CREATE INDEX IF NOT EXISTS customer_alerts_ds_idx ON ${s}.customer_alerts (ds);
    CREATE TABLE IF NOT EXISTS ${s}.data_quality (
      ds date NOT NULL, check_name text NOT NULL, passed boolean NOT NULL, observed bigint, expectation text NOT NULL);
    CREATE INDEX IF NOT EXISTS data_quality_ds_idx ON ${s}.data_quality (ds);`;
}

/** How far back customer metrics look: a trailing year of orders up to and including ds. */
export const METRICS_HISTORY_DAYS = 365;

/**
 * Per customer over the trailing history: order count, revenue (refunds excluded), average order
 * value, first/last order date, days since the last order, and a simple lifetime value: revenue
 * so far plus a year of expected orders (observed frequency x average order value), discounted by
 * how long the customer has been quiet. Dates come back as text so they round-trip exactly.
 */
export function customerMetricsSql(schema: string): string {
  const s = ident(schema);
  return `
    WITH per_customer AS (
      SELECT customer_id, min(region) AS region, count(*)::int AS order_count, sum(amount) AS revenue,
             min(ds) AS first_order_date, max(ds) AS last_order_date
        FROM ${s}.raw_orders
       WHERE ds <= $1::date AND ds > $1::date - ${METRICS_HISTORY_DAYS} AND status <> 'refunded'
       GROUP BY customer_id
    )
    SELECT customer_id, region, order_count,
           round(revenue, 2) AS revenue,
           round(revenue / order_count, 2) AS avg_order_value,
           first_order_date::text AS first_order_date,
           last_order_date::text AS last_order_date,
           ($1::date - last_order_date) AS days_since_last_order,
           round(revenue + (revenue / order_count)
                 * (order_count * 365.0 / greatest($1::date - first_order_date + 1, 30))
                 * exp(-($1::date - last_order_date) / 90.0), 2) AS lifetime_value
      FROM per_customer
     ORDER BY customer_id`;
}

/**
 * The partitions (ds as text, oldest first) of `table` in the `days` up to and including ds ($1):
 * what a trailing-window query read, recorded for lineage with `ctx.partitions.markRead`.
 */
export function trailingPartitionsSql(schema: string, table: (typeof TABLES)[number], days: number): string {
  if (!Number.isInteger(days) || days < 1) throw new Error(`trailing window must be a positive whole number of days, got ${days}`);
  return `SELECT DISTINCT ds::text AS ds FROM ${ident(schema)}.${ident(table)} WHERE ds <= $1::date AND ds > $1::date - ${days} ORDER BY ds`;
}

/** Ticket thresholds of an at-risk customer over the 30 days up to ds. */
export const ALERT_RULES = { windowDays: 30, minTickets: 3, minHighPriority: 2 } as const;

/** At-risk customers: 3+ tickets, or 2+ high-priority ones, in the 30 days up to ds; joined to that day's metrics. */
export function customerAlertsSql(schema: string): string {
  const s = ident(schema);
  const high = HIGH_PRIORITIES.map((p) => `'${p}'`).join(", ");
  const { windowDays, minTickets, minHighPriority } = ALERT_RULES;
  return `
    WITH recent AS (
      SELECT customer_id, count(*)::int AS tickets_30d,
             (count(*) FILTER (WHERE priority IN (${high})))::int AS high_priority_tickets_30d
        FROM ${s}.raw_tickets
       WHERE ds <= $1::date AND ds > $1::date - ${windowDays}
       GROUP BY customer_id
    )
    SELECT r.customer_id, r.tickets_30d, r.high_priority_tickets_30d,
           CASE WHEN r.tickets_30d >= ${minTickets} AND r.high_priority_tickets_30d >= ${minHighPriority} THEN 'many_tickets_and_high_priority'
                WHEN r.tickets_30d >= ${minTickets} THEN 'many_tickets'
                ELSE 'high_priority_tickets' END AS reason,
           m.revenue, m.lifetime_value, m.days_since_last_order
      FROM recent r
      LEFT JOIN ${s}.customer_metrics m ON m.ds = $1::date AND m.customer_id = r.customer_id
     WHERE r.tickets_30d >= ${minTickets} OR r.high_priority_tickets_30d >= ${minHighPriority}
     ORDER BY r.customer_id`;
}

/** The numbers the data-quality checks judge, all for partition ds. */
export interface QualityCounts {
  raw_orders_rows: number;
  raw_orders_null_customer: number;
  metrics_rows: number;
  metrics_null_customer: number;
  metrics_null_revenue: number;
  metrics_duplicate_customers: number;
  alerts_rows: number;
  alerts_null_customer: number;
  [column: string]: number;
}

export function qualityCountsSql(schema: string): string {
  const s = ident(schema);
  const count = (table: string, where = "true") => `(SELECT count(*) FROM ${s}.${table} WHERE ds = $1::date AND ${where})::int`;
  return `
    SELECT ${count("raw_orders")} AS raw_orders_rows,
           ${count("raw_orders", "customer_id IS NULL")} AS raw_orders_null_customer,
           ${count("customer_metrics")} AS metrics_rows,
           ${count("customer_metrics", "customer_id IS NULL")} AS metrics_null_customer,
           ${count("customer_metrics", "revenue IS NULL")} AS metrics_null_revenue,
           (SELECT count(*) - count(DISTINCT customer_id) FROM ${s}.customer_metrics WHERE ds = $1::date)::int AS metrics_duplicate_customers,
           ${count("customer_alerts")} AS alerts_rows,
           ${count("customer_alerts", "customer_id IS NULL")} AS alerts_null_customer`;
}
