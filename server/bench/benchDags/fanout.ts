/**
 * Bench DAG: start -> 8 parallel -> join, every task a no-op. Used by `pnpm bench` to measure
 * Runnel's no-op task throughput over many concurrent runs.
 */
import { defineDag, type TaskHandle } from "runnel";

export const FANOUT_WIDTH = 8;

export default defineDag(
  { id: "bench_fanout", schedule: null, maxActiveRuns: 1000, description: "Benchmark: no-op fan-out/fan-in (10 tasks)", tags: ["bench"] },
  (dag) => {
    const start = dag.task("start", { run: () => undefined });
    const parallel: Record<string, TaskHandle<unknown>> = {};
    for (let i = 0; i < FANOUT_WIDTH; i++) parallel[`p${i}`] = dag.task(`parallel_${i}`, { needs: { start }, run: () => undefined });
    dag.task("join", { needs: parallel, run: () => undefined });
  },
);
