import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Prometheus metrics of one process, served at /metrics. */
export interface RunnelMetrics {
  registry: Registry;
  taskDuration: Histogram<"dag_id" | "state">;
  queueWait: Histogram<"dag_id">;
  taskFinished: Counter<"dag_id" | "state">;
  runFinished: Counter<"dag_id" | "state">;
  queueDepth: Gauge<"state">;
  /** Dead letters in status open, per DAG (refreshed on each scrape). */
  openDeadLetters: Gauge<"dag_id">;
  /** OpenLineage events by transport (`http`, `file`; `buffer` for drops, `build` for events that could not be built) and result (`sent`, `failed`, `dropped`). */
  openLineageEvents: Counter<"transport" | "result">;
  /** Alert deliveries by channel (`webhook`, `slack`, `email`, `callback`) and result (`sent`, `failed`: another attempt is due, `given_up`). */
  alertDeliveries: Counter<"channel" | "result">;
  /** Missed deadlines found by the leading scheduler, by DAG and kind (`run`: the DAG's deadline, `task`: a task's expectedDuration). */
  deadlineMisses: Counter<"dag_id" | "kind">;
}

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** Creates the metric set on a fresh registry (one per process; tests make their own). */
export function createMetrics(): RunnelMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "runnel_process_" });
  return {
    registry,
    taskDuration: new Histogram({
      name: "runnel_task_duration_seconds",
      help: "Time a task try spent running, by final state of the try",
      labelNames: ["dag_id", "state"],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    queueWait: new Histogram({
      name: "runnel_task_queue_wait_seconds",
      help: "Time from queued to running",
      labelNames: ["dag_id"],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    taskFinished: new Counter({ name: "runnel_task_tries_total", help: "Task tries finished, by state", labelNames: ["dag_id", "state"], registers: [registry] }),
    runFinished: new Counter({ name: "runnel_runs_total", help: "Runs finished, by state", labelNames: ["dag_id", "state"], registers: [registry] }),
    queueDepth: new Gauge({ name: "runnel_queue_depth", help: "BullMQ jobs by state", labelNames: ["state"], registers: [registry] }),
    openDeadLetters: new Gauge({ name: "runnel_dead_letters_open", help: "Open dead letters by DAG", labelNames: ["dag_id"], registers: [registry] }),
    alertDeliveries: new Counter({
      name: "runnel_alert_deliveries_total",
      help: "Alert delivery attempts by channel (webhook, slack, email, callback) and result (sent, failed, given_up)",
      labelNames: ["channel", "result"],
      registers: [registry],
    }),
    openLineageEvents: new Counter({
      name: "runnel_openlineage_events_total",
      help: "OpenLineage events by transport and result (sent, failed, dropped when the buffer was full)",
      labelNames: ["transport", "result"],
      registers: [registry],
    }),
    deadlineMisses: new Counter({
      name: "runnel_deadline_misses_total",
      help: "Runs (kind=run) and task instances (kind=task) found unfinished after their deadline",
      labelNames: ["dag_id", "kind"],
      registers: [registry],
    }),
  };
}
