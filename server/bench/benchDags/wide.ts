/**
 * Bench DAG: 20 no-op tasks in four layers (1 -> 9 -> 9 -> 1). `pnpm bench` seeds 10,000 runs of
 * it straight into the store tables and measures the grid and runs endpoints (apiScale.ts); it
 * is never triggered.
 */
import { defineDag, type TaskHandle } from "runnel";

export const WIDE_LAYER = 9;

export default defineDag(
  { id: "bench_wide", schedule: null, maxActiveRuns: 16, description: "Benchmark: 20 no-op tasks for the API scale phase", tags: ["bench"] },
  (dag) => {
    const extract = dag.task("extract", { run: () => undefined });
    const clean: Record<string, TaskHandle<unknown>> = {};
    for (let i = 0; i < WIDE_LAYER; i++) clean[`c${i}`] = dag.task(`clean_${i}`, { needs: { extract }, run: () => undefined });
    const model: Record<string, TaskHandle<unknown>> = {};
    for (let i = 0; i < WIDE_LAYER; i++) {
      const upstream = clean[`c${i}`] as TaskHandle<unknown>;
      model[`m${i}`] = dag.task(`model_${i}`, { needs: { upstream }, run: () => undefined });
    }
    dag.task("publish", { needs: model, run: () => undefined });
  },
);
