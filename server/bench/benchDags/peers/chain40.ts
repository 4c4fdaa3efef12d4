/**
 * Bench DAG (peers phase): 40 no-op tasks in a line, triggered alone (chain40) and 10 at once
 * (chains10x40) against graphile-worker and BullMQ chains where each job adds the next.
 */
import { defineDag, type TaskHandle } from "runnel";

export const CHAIN40_LENGTH = 40;

export default defineDag(
  { id: "bench_chain40", schedule: null, maxActiveRuns: 100, description: "Benchmark: 40 no-op tasks in a line", tags: ["bench"] },
  (dag) => {
    let prev: TaskHandle<unknown> | undefined;
    for (let i = 0; i < CHAIN40_LENGTH; i++) {
      const id = `step_${String(i).padStart(2, "0")}`;
      prev = prev ? dag.task(id, { needs: { prev }, run: () => undefined }) : dag.task(id, { run: () => undefined });
    }
  },
);
