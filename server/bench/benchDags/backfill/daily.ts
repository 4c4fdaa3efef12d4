/**
 * Bench DAG for the backfill phase (backfillBench.ts): `@daily` from 2023-01-01, the same 10
 * no-op tasks as bench_fanout (start -> 8 parallel -> join). It lives in its own folder so the
 * other phases, which load `benchDags/`, never schedule it. maxActiveRuns is high so the
 * backfill's own maxActiveRuns is the limit being measured, not the DAG's.
 */
import { defineDag, type TaskHandle } from "runnel";

export const DAILY_WIDTH = 8;

export default defineDag(
  {
    id: "bench_backfill_daily",
    schedule: "@daily",
    startDate: "2023-01-01",
    catchup: false,
    maxActiveRuns: 1000,
    description: "Benchmark: a daily no-op DAG (10 tasks) backfilled over 2023",
    tags: ["bench"],
  },
  (dag) => {
    const start = dag.task("start", { run: () => undefined });
    const parallel: Record<string, TaskHandle<unknown>> = {};
    for (let i = 0; i < DAILY_WIDTH; i++) parallel[`p${i}`] = dag.task(`parallel_${i}`, { needs: { start }, run: () => undefined });
    dag.task("join", { needs: parallel, run: () => undefined });
  },
);
