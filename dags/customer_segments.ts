/**
 * A second team's pipeline, scheduled on data rather than on a clock: it runs once for every
 * partition of `warehouse.customer_metrics` that `customer_analytics` writes (data-aware
 * scheduling), so its logical date is that partition's date. It reads the partition through
 * `ctx.partitions.read` (recorded as lineage: each segments partition knows the metrics
 * partition it came from) and overwrites the same partition of `warehouse.customer_segments`.
 */
import { defineDag } from "runnel";

// One string runs as one implicit transaction; the lock keeps concurrent runs' DDL from racing.
const SEGMENTS_DDL = `
  SELECT pg_advisory_xact_lock(hashtext('runnel.examples.customer_segments.ddl'));
  CREATE SCHEMA IF NOT EXISTS warehouse;
  CREATE TABLE IF NOT EXISTS warehouse.customer_segments (
    ds date NOT NULL, segment text NOT NULL, customers integer NOT NULL, revenue numeric(14,2) NOT NULL);
  CREATE INDEX IF NOT EXISTS customer_segments_ds_idx ON warehouse.customer_segments (ds);`;

interface MetricsRow extends Record<string, unknown> {
  customer_id: string | null;
  revenue: string | number | null;
  lifetime_value: string | number | null;
}

/** Value tiers by lifetime value (in the metrics' currency). */
function segmentOf(lifetimeValue: number): string {
  if (lifetimeValue >= 1000) return "high_value";
  if (lifetimeValue >= 250) return "growing";
  return "occasional";
}

export default defineDag(
  {
    id: "customer_segments",
    schedule: { datasets: ["warehouse.customer_metrics"] },
    timezone: "UTC",
    maxActiveRuns: 4,
    defaults: { retries: 1, retryDelay: "5s" },
    description: "Customer value segments, run for each customer_metrics partition customer_analytics writes.",
    tags: ["example", "warehouse", "data-aware"],
  },
  (dag) => {
    dag.task("segment_customers", {
      doc: "Counts customers and revenue per value segment for the partition that triggered the run.",
      inputs: ["warehouse.customer_metrics"],
      outputs: ["warehouse.customer_segments"],
      run: async (ctx) => {
        await ctx.warehouse.query(SEGMENTS_DDL);
        const metrics = await ctx.partitions.read<MetricsRow>("warehouse.customer_metrics", { partitionColumn: "ds" });
        const bySegment = new Map<string, { customers: number; revenue: number }>();
        for (const m of metrics) {
          if (m.customer_id === null) continue;
          const segment = segmentOf(Number(m.lifetime_value ?? 0));
          const s = bySegment.get(segment) ?? { customers: 0, revenue: 0 };
          s.customers++;
          s.revenue += Number(m.revenue ?? 0);
          bySegment.set(segment, s);
        }
        const rows = [...bySegment].map(([segment, s]) => ({ ds: ctx.partition, segment, customers: s.customers, revenue: s.revenue.toFixed(2) }));
        const written = await ctx.partitions.overwrite("warehouse.customer_segments", rows, { partitionColumn: "ds" });
        return { segments: written, customers: metrics.length };
      },
    });
  },
);
