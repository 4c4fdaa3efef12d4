/**
 * The shape of the peers phase's fan-out DAGs: `width` parallel no-op tasks and a join that
 * needs them all (no start task, so the run's first admission queues all of them at once).
 * A leading `_` keeps this helper from being loaded as a DAG file.
 */
import { defineDag, type DagDefinition, type TaskHandle } from "runnel";

export function wideDag(width: number): DagDefinition<Record<string, never>> {
  return defineDag(
    { id: `bench_fanout${width}`, schedule: null, maxActiveRuns: 16, description: `Benchmark: ${width} parallel no-op tasks + a join`, tags: ["bench"] },
    (dag) => {
      const parallel: Record<string, TaskHandle<unknown>> = {};
      for (let i = 0; i < width; i++) parallel[`p${i}`] = dag.task(`task_${String(i).padStart(5, "0")}`, { run: () => undefined });
      dag.task("join", { needs: parallel, run: () => undefined });
    },
  );
}
