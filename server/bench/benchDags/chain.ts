/**
 * Bench DAG: 50 no-op tasks in a line. Used by `pnpm bench` to measure the latency from an
 * upstream task's end to its downstream task's start (fast follow).
 */
import { defineDag, type TaskHandle } from "runnel";

export const CHAIN_LENGTH = 50;

export default defineDag(
  { id: "bench_chain", schedule: null, maxActiveRuns: 1000, description: "Benchmark: 50 no-op tasks in a line", tags: ["bench"] },
  (dag) => {
    let prev: TaskHandle<unknown> | undefined;
    for (let i = 0; i < CHAIN_LENGTH; i++) {
      const id = `step_${String(i).padStart(2, "0")}`;
      prev = prev ? dag.task(id, { needs: { prev }, run: () => undefined }) : dag.task(id, { run: () => undefined });
    }
  },
);
