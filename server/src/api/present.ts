import type { SerializedDag } from "../model/graph";
import type { AttemptState } from "../model/states";
import type { AttemptRow, TaskInstanceSensorColumns } from "../store/runQueries";
import type { RunRow } from "../store/runs";
import type { TaskInstanceRow } from "../store/taskInstances";
import type { Attempt, GraphEdge, GraphNode, GridDeadlineMiss, RunSummary, TaskInstanceSummary } from "./contract";

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The deadline columns of a run or task instance row (migration 0017) with its end. */
interface DeadlineRow {
  deadline_at: Date | null;
  deadline_missed_at: Date | null;
  end_date: Date | null;
}

/** How long after its deadline a run or task instance ended; null while unfinished, without a deadline, or when it ended in time. */
export function lateMs(deadlineAt: Date | null, endDate: Date | null): number | null {
  return deadlineAt && endDate && endDate > deadlineAt ? endDate.getTime() - deadlineAt.getTime() : null;
}

const presentDeadline = (r: DeadlineRow): Pick<RunSummary, "deadlineAt" | "deadlineMissedAt" | "lateMs"> => ({
  deadlineAt: iso(r.deadline_at),
  deadlineMissedAt: iso(r.deadline_missed_at),
  lateMs: lateMs(r.deadline_at, r.end_date),
});

/**
 * The grid's mark of a missed deadline: the scheduler found it unfinished past its deadline, or
 * it ended after it (between two checks). Undefined when it has no deadline or met it (so far).
 */
export function deadlineMiss(r: DeadlineRow): GridDeadlineMiss | undefined {
  if (!r.deadline_at) return undefined;
  const late = lateMs(r.deadline_at, r.end_date);
  return r.deadline_missed_at || late !== null ? { deadlineAt: r.deadline_at.toISOString(), lateMs: late } : undefined;
}

/** A dag_runs row as the API shows it. */
export function presentRun(r: RunRow): RunSummary {
  return {
    dagRunId: r.id,
    dagId: r.dag_id,
    runId: r.run_id,
    runType: r.run_type,
    state: r.state,
    logicalDate: r.logical_date.toISOString(),
    dataIntervalStart: r.data_interval_start.toISOString(),
    dataIntervalEnd: r.data_interval_end.toISOString(),
    versionId: r.dag_version_id,
    createdAt: r.created_at.toISOString(),
    startDate: iso(r.start_date),
    endDate: iso(r.end_date),
    ...presentDeadline(r),
  };
}

/** A task_instances row (with trigger rule, upstream and the sensor columns) as the API shows it. */
export function presentTaskInstance(t: TaskInstanceRow & TaskInstanceSensorColumns & { trigger_rule: TaskInstanceSummary["triggerRule"]; upstream_task_ids: string[] }): TaskInstanceSummary {
  return {
    id: t.id,
    dagRunId: t.dag_run_id,
    dagId: t.dag_id,
    taskId: t.task_id,
    state: t.state,
    tryNumber: t.try_number,
    maxTries: t.max_tries,
    triggerRule: t.trigger_rule,
    upstream: t.upstream_task_ids,
    worker: t.worker,
    queuedAt: iso(t.queued_at),
    startDate: iso(t.start_date),
    endDate: iso(t.end_date),
    nextTryAt: iso(t.next_try_at),
    sensorStartedAt: iso(t.sensor_started_at),
    sensorPokes: Number(t.sensor_pokes),
    expectedDurationMs: t.expected_duration_ms,
    ...presentDeadline(t),
  };
}

/** A task_attempts row as the API shows it. */
export function presentAttempt(a: AttemptRow): Attempt {
  return {
    tryNumber: a.try_number,
    state: a.state as AttemptState,
    worker: a.worker,
    queuedAt: iso(a.queued_at),
    startDate: a.start_date.toISOString(),
    endDate: iso(a.end_date),
    error: a.error,
    errorCode: a.error_code,
    stillRunningAfterCancel: a.abort_ignored_at !== null && a.state === "running",
  };
}

/** Nodes and edges of a stored graph. */
export function presentGraph(graph: SerializedDag): { nodes: GraphNode[]; edges: GraphEdge[] } {
  return {
    nodes: graph.tasks.map((t) => ({
      taskId: t.id,
      kind: t.kind,
      triggerRule: t.triggerRule,
      retries: t.retries,
      upstream: t.upstream,
      doc: t.doc,
      inputs: t.inputs,
      outputs: t.outputs,
      ...(t.check ? { check: t.check } : {}),
    })),
    edges: graph.tasks.flatMap((t) => t.upstream.map((u) => ({ from: u, to: t.id }))),
  };
}
