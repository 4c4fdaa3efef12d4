import { createHash } from "node:crypto";
import { z } from "zod";
import { expectationName } from "../sdk/checks";
import type { CheckSpec, DagDefinition, TaskSpec } from "../sdk/defineDag";
import { parseDuration, type Duration } from "../sdk/duration";
import type { CompiledSchedule } from "../schedule/index";
import type { SerializedCheck, SerializedDag, SerializedTask } from "../model/graph";
import { AlertEvent } from "../model/alerts";

/**
 * What a task gets when neither it nor its DAG's `defaults` set an option. These values are
 * written into every serialized task, so the graph stored in `dag_versions` is complete and the
 * engine never has to know the defaults again.
 */
export const TASK_OPTION_DEFAULTS = {
  retries: 0,
  retryDelayMs: 30_000,
  backoff: "exponential",
  maxRetryDelayMs: 3_600_000,
  jitter: 0.1,
  timeoutMs: null,
  priorityWeight: 1,
  isolation: "inline",
} as const satisfies Pick<
  SerializedTask,
  "retries" | "retryDelayMs" | "backoff" | "maxRetryDelayMs" | "jitter" | "timeoutMs" | "priorityWeight" | "isolation"
>;

/** DAG-level defaults written into the serialized graph. */
export const DAG_OPTION_DEFAULTS = {
  maxActiveRuns: 16,
  maxActiveTasks: null,
  catchup: false,
  timezone: "UTC",
} as const;

function durationMs(value: Duration | undefined, fallback: number, what: string): number {
  return value === undefined ? fallback : parseDuration(value, what);
}

/**
 * The callback-only events a task's instances must write (the database triggers write nothing
 * else for a success or a retry): task_succeeded for its onSuccess, task_retry for its own or its
 * DAG's onRetry. Absent when none, so graphs without callbacks keep their version hashes.
 */
function taskNotifyOn(task: TaskSpec, dag: DagDefinition): Pick<SerializedTask, "notifyOn"> {
  const events: AlertEvent[] = [];
  if (task.callbacks.onSuccess) events.push(AlertEvent.task_succeeded);
  if (task.callbacks.onRetry || dag.callbacks.onRetry) events.push(AlertEvent.task_retry);
  return events.length > 0 ? { notifyOn: events } : {};
}

function serializeTask(dagId: string, task: TaskSpec, dag: DagDefinition): SerializedTask {
  const o = task.options;
  const where = `DAG ${dagId}, task ${task.id}`;
  return {
    id: task.id,
    kind: task.kind,
    needs: { ...task.needs },
    upstream: [...new Set(Object.values(task.needs))],
    triggerRule: task.triggerRule,
    retries: o.retries ?? TASK_OPTION_DEFAULTS.retries,
    retryDelayMs: durationMs(o.retryDelay, TASK_OPTION_DEFAULTS.retryDelayMs, `${where}: retryDelay`),
    backoff: o.backoff ?? TASK_OPTION_DEFAULTS.backoff,
    maxRetryDelayMs: durationMs(o.maxRetryDelay, TASK_OPTION_DEFAULTS.maxRetryDelayMs, `${where}: maxRetryDelay`),
    jitter: o.jitter ?? TASK_OPTION_DEFAULTS.jitter,
    timeoutMs: o.timeout === undefined ? TASK_OPTION_DEFAULTS.timeoutMs : parseDuration(o.timeout, `${where}: timeout`),
    priorityWeight: o.priorityWeight ?? TASK_OPTION_DEFAULTS.priorityWeight,
    isolation: o.isolation ?? TASK_OPTION_DEFAULTS.isolation,
    inputs: [...task.inputs],
    outputs: [...task.outputs],
    doc: task.doc ?? null,
    sensor: task.sensor
      ? {
          mode: task.sensor.mode,
          intervalMs: parseDuration(task.sensor.interval, `${where}: interval`),
          timeoutMs: parseDuration(task.sensor.timeout, `${where}: timeout`),
          softFail: task.sensor.softFail,
          exponentialBackoff: task.sensor.exponentialBackoff,
        }
      : null,
    ...(task.check ? { check: serializeCheck(task.check) } : {}),
    ...taskNotifyOn(task, dag),
    // Absent when unset, so graphs without it keep their version hashes.
    ...(o.expectedDuration !== undefined ? { expectedDurationMs: parseDuration(o.expectedDuration, `${where}: expectedDuration`) } : {}),
  };
}

/** A check's settings with each expectation's persisted name filled in; plain JSON (validateDag checked the shapes). */
function serializeCheck(check: CheckSpec): SerializedCheck {
  return {
    dataset: check.dataset,
    partitionColumn: check.partitionColumn,
    severity: check.severity,
    expect: check.expect.map((e) => ({ ...e, name: expectationName(e) })),
  };
}

/**
 * The JSON Schema of a DAG's params (input side, so fields with defaults are optional), or null
 * when the DAG takes none or zod cannot express the schema. Never throws.
 */
export function paramsJsonSchema(params: unknown): unknown {
  if (params === undefined || params === null) return null;
  try {
    return z.toJSONSchema(params as z.ZodType, { io: "input", unrepresentable: "any" });
  } catch {
    return null;
  }
}

/**
 * Turns a loaded DAG into the static graph stored in `dag_versions.graph`: no functions, every
 * default filled in. `startDate`/`endDate` keep the strings the author wrote so recompiling the
 * stored graph gives the same schedule. Throws only on an unreadable duration, which
 * `validateDag` reports first.
 */
export function serializeDag(dag: DagDefinition, schedule: CompiledSchedule): SerializedDag {
  const o = dag.options;
  return {
    dagId: dag.id,
    schedule: typeof o.schedule === "object" && o.schedule !== null ? { datasets: [...o.schedule.datasets] } : (o.schedule ?? null),
    timezone: schedule.timezone || DAG_OPTION_DEFAULTS.timezone,
    startDate: o.startDate ?? null,
    endDate: o.endDate ?? null,
    catchup: o.catchup ?? DAG_OPTION_DEFAULTS.catchup,
    maxActiveRuns: o.maxActiveRuns ?? DAG_OPTION_DEFAULTS.maxActiveRuns,
    maxActiveTasks: o.maxActiveTasks ?? DAG_OPTION_DEFAULTS.maxActiveTasks,
    description: o.description ?? null,
    tags: [...(o.tags ?? [])],
    paramsSchema: paramsJsonSchema(o.params),
    tasks: [...dag.tasks.values()].map((task) => serializeTask(dag.id, task, dag)),
    ...(dag.callbacks.onSuccess ? { notifyOn: [AlertEvent.run_succeeded] } : {}),
    ...(o.deadline ? { deadline: { from: o.deadline.from, withinMs: parseDuration(o.deadline.within, `DAG ${dag.id}: deadline.within`) } } : {}),
  };
}

/** JSON with object keys sorted at every level, so equal graphs give equal text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/**
 * Identifies a DAG version: sha256 (hex) of the stable-key-order graph JSON and the file's source
 * text. A change to either (even a comment in the DAG file) is a new `dag_versions` row.
 */
export function versionHash(serialized: SerializedDag, source: string): string {
  return createHash("sha256").update(stableStringify(serialized)).update("\n\u0000\n").update(source).digest("hex");
}
