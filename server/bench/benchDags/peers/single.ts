/** Bench DAG (peers phase): one no-op task, triggered on an idle engine to time trigger -> first task start. */
import { defineDag } from "runnel";

export default defineDag({ id: "bench_single", schedule: null, maxActiveRuns: 100, description: "Benchmark: one no-op task", tags: ["bench"] }, (dag) => {
  dag.task("only", { run: () => undefined });
});
