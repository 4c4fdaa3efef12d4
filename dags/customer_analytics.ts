/**
 * The classic customer-analytics pipeline: wait for the day's orders file (a reschedule-mode
 * sensor, like an S3 key sensor; `generate_inputs` plays the system that drops it), extract a day of orders, support tickets and
 * marketing events into warehouse partitions, compute per-customer metrics over the trailing
 * history, flag at-risk customers, and gate the day on data-quality checks.
 *
 * Every task is idempotent: sources are deterministic per logical date and every write is a
 * partition overwrite, so retries, clears and backfills leave exactly the same tables.
 * Malformed orders are dead-lettered by `ctx.validate`; fix their `amount` in the UI and replay.
 * Task bodies live in ./lib/customerAnalytics/tasks.ts; this file is the graph.
 */
import { defineDag } from "runnel";
import { fileExists } from "runnel/sensors";
import { generateInputs, ORDERS_DATASET, ordersFilePattern } from "./lib/customerAnalytics/inputs";
import { ALERT_RULES, TABLES } from "./lib/customerAnalytics/sql";
import {
  customerAlerts,
  customerMetrics,
  dataQuality,
  ensureTables,
  extractMarketingEvents,
  extractOrders,
  extractTickets,
  ParamsSchema,
} from "./lib/customerAnalytics/tasks";

export default defineDag(
  {
    id: "customer_analytics",
    schedule: "@daily",
    timezone: "UTC",
    startDate: "2024-01-01",
    catchup: false,
    maxActiveRuns: 4,
    params: ParamsSchema,
    defaults: { retries: 2, retryDelay: "5s", backoff: "exponential", maxRetryDelay: "1m" },
    description: "Orders, tickets and marketing events -> customer metrics, at-risk alerts and data-quality checks.",
    tags: ["example", "warehouse"],
  },
  (dag) => {
    const tables = dag.task("ensure_tables", {
      doc: "Creates the warehouse schema and the pipeline's tables when missing.",
      outputs: TABLES.map((t) => `warehouse.${t}`),
      run: ensureTables,
    });

    dag.task("generate_inputs", {
      doc: "Plays the upstream system: drops the day's orders file into RUNNEL_DATA_DIR/incoming/orders/ (deterministic per date).",
      outputs: [ORDERS_DATASET],
      run: generateInputs,
    });
    const ordersFile = dag.sensor("wait_for_orders", {
      doc: "Waits for incoming/orders/{ds}.json like an S3 key sensor, releasing its worker slot between pokes.",
      mode: "reschedule",
      interval: "2s",
      timeout: "6h",
      poke: fileExists(ordersFilePattern()),
    });

    const orders = dag.task("extract_orders", {
      needs: { tables, ordersFile },
      doc: "Pulls the day's orders, dead-letters malformed ones, overwrites partition ds of raw_orders.",
      inputs: [ORDERS_DATASET],
      outputs: ["warehouse.raw_orders"],
      run: extractOrders,
    });
    const tickets = dag.task("extract_tickets", {
      needs: { tables },
      doc: "Pulls the day's support tickets into partition ds of raw_tickets.",
      outputs: ["warehouse.raw_tickets"],
      run: extractTickets,
    });
    dag.task("extract_marketing_events", {
      needs: { tables },
      doc: "Pulls the day's marketing touches into partition ds of raw_marketing_events.",
      outputs: ["warehouse.raw_marketing_events"],
      run: extractMarketingEvents,
    });

    const metrics = dag.task("customer_metrics", {
      needs: { orders },
      doc: "Per-customer revenue, order count, average order value, recency and lifetime value over the trailing year.",
      inputs: ["warehouse.raw_orders"],
      outputs: ["warehouse.customer_metrics"],
      run: customerMetrics,
    });

    const alerts = dag.task("customer_alerts", {
      needs: { tickets, metrics },
      doc: `At-risk customers: ${ALERT_RULES.minTickets}+ tickets, or ${ALERT_RULES.minHighPriority}+ high-priority ones, in ${ALERT_RULES.windowDays} days.`,
      inputs: ["warehouse.raw_tickets", "warehouse.customer_metrics"],
      outputs: ["warehouse.customer_alerts"],
      run: customerAlerts,
    });

    const metricsChecked = dag.check("check_customer_metrics", {
      needs: { metrics },
      doc: "Gates the day: customer_metrics has rows and no null customer ids (fails without retrying otherwise).",
      dataset: "warehouse.customer_metrics",
      severity: "error",
      expect: [
        { kind: "rowCount", min: 1 },
        { kind: "nullRatio", column: "customer_id", max: 0 },
      ],
    });
    dag.check("watch_customer_metrics_volume", {
      needs: { metrics },
      doc: "Warns when today's customer_metrics row count is more than 3 stddev from the trailing 14 partitions.",
      dataset: "warehouse.customer_metrics",
      severity: "warn",
      expect: [{ kind: "volumeAnomaly", window: 14, k: 3 }],
    });

    dag.task("data_quality", {
      needs: { metrics, alerts, metricsChecked },
      doc: "Checks today's partitions (row counts, null keys, agreement with upstream outputs); fails without retrying when one fails.",
      inputs: ["warehouse.raw_orders", "warehouse.customer_metrics", "warehouse.customer_alerts"],
      outputs: ["warehouse.data_quality"],
      run: dataQuality,
    });
  },
);
