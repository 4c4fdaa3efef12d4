import type { CallbackHook, CallbackLists, DagDefinition, TaskSpec } from "../sdk/defineDag";
import { isNotifier, notifierProblems } from "../sdk/notify";
import { parseDuration, type Duration } from "../sdk/duration";
import { TRIGGER_RULES } from "../model/states";
import { DEADLINE_FROMS } from "../model/alerts";
import type { TaskDefaults } from "../sdk/types";
import { checkProblems } from "./validateChecks";
import { compileSchedule, type CompiledSchedule, type ScheduleSpec } from "../schedule/index";

/** The outcome of `validateDag`: the compiled schedule, or every problem found. */
export type DagValidation = { ok: true; schedule: CompiledSchedule } | { ok: false; problems: string[] };

/** Compiles a schedule spec; injected so the checks stay testable without the schedule module. */
export type ScheduleCompiler = (spec: ScheduleSpec) => CompiledSchedule;

const DURATION_KEYS = ["retryDelay", "maxRetryDelay", "timeout"] as const;

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether `value` looks like a zod schema from any copy of zod (v4 `_zod`, or v3 `_def`). */
export function isZodSchema(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.safeParse === "function" && (typeof v._zod === "object" || typeof v._def === "object");
}

function checkDuration(value: Duration | undefined, what: string, problems: string[], positive = false): void {
  if (value === undefined) return;
  try {
    if (parseDuration(value, what) === 0 && positive) problems.push(`${what} must be longer than 0, got ${show(value)}`);
  } catch (err) {
    problems.push(errorText(err));
  }
}

/** `deadline: { from, within }`: a known `from` and a readable, non-zero `within`. */
function checkDeadline(deadline: unknown, problems: string[]): void {
  if (deadline === undefined) return;
  if (typeof deadline !== "object" || deadline === null || Array.isArray(deadline)) {
    problems.push(`deadline must be { from: ${DEADLINE_FROMS.map((f) => JSON.stringify(f)).join(" | ")}, within: "2h" }, got ${show(deadline)}`);
    return;
  }
  const d = deadline as { from?: unknown; within?: unknown };
  if (!(DEADLINE_FROMS as readonly unknown[]).includes(d.from)) {
    problems.push(`deadline.from must be one of ${DEADLINE_FROMS.map((f) => JSON.stringify(f)).join(", ")}; got ${show(d.from)}`);
  }
  if (d.within === undefined) problems.push('deadline.within is required (a duration such as "2h")');
  else checkDuration(d.within as Duration, "deadline.within", problems, true);
}

/** Checks retry/timeout/placement options; `skip` holds values already reported on the DAG's defaults. */
function checkTaskDefaults(o: TaskDefaults, where: string, problems: string[], skip: TaskDefaults = {}): void {
  const fresh = <K extends keyof TaskDefaults>(key: K): boolean => o[key] !== undefined && o[key] !== skip[key];
  if (fresh("retries") && !(Number.isInteger(o.retries) && (o.retries ?? 0) >= 0)) {
    problems.push(`${where}retries must be a non-negative integer, got ${show(o.retries)}`);
  }
  for (const key of DURATION_KEYS) if (fresh(key)) checkDuration(o[key], `${where}${key}`, problems);
  if (fresh("expectedDuration")) checkDuration(o.expectedDuration, `${where}expectedDuration`, problems, true);
  if (fresh("backoff") && o.backoff !== "fixed" && o.backoff !== "exponential") {
    problems.push(`${where}backoff must be "fixed" or "exponential", got ${show(o.backoff)}`);
  }
  if (fresh("jitter") && !(typeof o.jitter === "number" && o.jitter >= 0 && o.jitter <= 1)) {
    problems.push(`${where}jitter must be a number from 0 to 1, got ${show(o.jitter)}`);
  }
  if (fresh("priorityWeight") && !Number.isInteger(o.priorityWeight)) {
    problems.push(`${where}priorityWeight must be an integer, got ${show(o.priorityWeight)}`);
  }
  if (fresh("isolation") && o.isolation !== "inline" && o.isolation !== "process") {
    problems.push(`${where}isolation must be "inline" or "process", got ${show(o.isolation)}`);
  }
}

/** Each callback is a function or a notifier with a destination (`webhook(undefined)` names the hook here). */
function checkCallbacks(lists: CallbackLists, where: string, problems: string[]): void {
  for (const [hook, list] of Object.entries(lists) as Array<[CallbackHook, readonly unknown[]]>) {
    list.forEach((cb, i) => {
      const what = `${where}${hook}${list.length > 1 ? `[${i}]` : ""}`;
      if (isNotifier(cb)) for (const problem of notifierProblems(cb)) problems.push(`${what}: ${problem}`);
      else if (typeof cb !== "function") problems.push(`${what} must be a function, a notifier from "runnel/notify" (webhook, slack, email) or a list of them, got ${show(cb)}`);
    });
  }
}

function checkStringList(value: unknown, what: string, problems: string[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) problems.push(`${what} must be an array of strings`);
}

function checkTask(task: TaskSpec, defaults: TaskDefaults, problems: string[]): void {
  const where = `task "${task.id}": `;
  checkTaskDefaults(task.options, where, problems, defaults);
  if (!(TRIGGER_RULES as readonly string[]).includes(task.triggerRule)) {
    problems.push(`${where}triggerRule must be one of ${TRIGGER_RULES.join(", ")}; got ${show(task.triggerRule)}`);
  }
  checkStringList(task.inputs, `${where}inputs`, problems);
  checkStringList(task.outputs, `${where}outputs`, problems);
  if (task.doc !== undefined && typeof task.doc !== "string") problems.push(`${where}doc must be a string`);
  if (task.check) for (const problem of checkProblems(task.check)) problems.push(`check "${task.id}": ${problem}`);
  checkCallbacks(task.callbacks, where, problems);
  const sensor = task.sensor;
  if (!sensor) return;
  if (sensor.mode !== "poke" && sensor.mode !== "reschedule") {
    problems.push(`${where}mode must be "poke" or "reschedule", got ${show(sensor.mode)}`);
  }
  checkDuration(sensor.interval, `${where}interval`, problems);
  checkDuration(sensor.timeout, `${where}timeout`, problems);
}

function checkPositiveInt(value: unknown, what: string, problems: string[], nullable = false): void {
  if (value === undefined || (nullable && value === null)) return;
  if (!(Number.isInteger(value) && (value as number) > 0)) problems.push(`${what} must be a positive integer, got ${show(value)}`);
}

function checkDagOptions(dag: DagDefinition, problems: string[]): void {
  const o = dag.options;
  checkPositiveInt(o.maxActiveRuns, "maxActiveRuns", problems);
  checkPositiveInt(o.maxActiveTasks, "maxActiveTasks", problems, true);
  if (o.catchup !== undefined && typeof o.catchup !== "boolean") problems.push(`catchup must be true or false, got ${show(o.catchup)}`);
  if (o.params !== undefined && !isZodSchema(o.params)) {
    problems.push(`params must be a zod schema such as z.object({ ... }), got ${show(o.params)}`);
  }
  if (o.description !== undefined && typeof o.description !== "string") problems.push("description must be a string");
  checkStringList(o.tags, "tags", problems);
  checkCallbacks(dag.callbacks, "", problems);
  checkDeadline(o.deadline, problems);
  if (o.defaults !== undefined && (typeof o.defaults !== "object" || o.defaults === null)) {
    problems.push("defaults must be an object of task options");
  } else {
    checkTaskDefaults(o.defaults ?? {}, "defaults.", problems);
  }
}

function compile(dag: DagDefinition, compiler: ScheduleCompiler, problems: string[]): CompiledSchedule | undefined {
  const o = dag.options;
  const given: unknown = o.schedule ?? null;
  let schedule: string | null;
  if (given === null || typeof given === "string") {
    schedule = given;
  } else if (typeof given === "object" && "datasets" in given) {
    if (!checkDatasetSchedule((given as { datasets: unknown }).datasets, problems)) return undefined;
    // Runs come from dataset writes, never from a clock: compiled as manual-only.
    schedule = null;
  } else {
    problems.push(`schedule must be a cron string, a preset such as "@daily", { datasets: [...] }, or null; got ${show(given)}`);
    return undefined;
  }
  try {
    return compiler({
      schedule,
      timezone: o.timezone ?? "UTC",
      startDate: o.startDate ?? null,
      endDate: o.endDate ?? null,
      // A non-boolean catchup is reported by checkDagOptions; don't report it twice.
      catchup: typeof o.catchup === "boolean" ? o.catchup : false,
    });
  } catch (err) {
    problems.push(errorText(err));
    return undefined;
  }
}

/** `schedule: { datasets }` lists at least one dataset URI, each a non-empty string, none twice. */
function checkDatasetSchedule(datasets: unknown, problems: string[]): boolean {
  if (!Array.isArray(datasets) || datasets.length === 0) {
    problems.push(`schedule.datasets must be a non-empty array of dataset URIs such as "warehouse.orders"; got ${show(datasets)}`);
    return false;
  }
  const bad = datasets.filter((d) => typeof d !== "string" || d.trim() === "");
  if (bad.length > 0) {
    problems.push(`schedule.datasets must hold dataset URIs (non-empty strings); got ${show(bad[0])}`);
    return false;
  }
  const seen = new Set<string>();
  for (const d of datasets as string[]) {
    if (seen.has(d)) problems.push(`schedule.datasets lists ${JSON.stringify(d)} twice`);
    seen.add(d);
  }
  return seen.size === datasets.length;
}

/**
 * Checks what `defineDag` cannot check at the type level (a DAG file may be plain JavaScript or
 * use casts): schedule/timezone/startDate/endDate (via the schedule module), positive-integer
 * limits, durations, enum-valued options and a zod `params` schema. Pure; reports every problem
 * rather than stopping at the first.
 */
export function validateDag(dag: DagDefinition, compiler: ScheduleCompiler = compileSchedule): DagValidation {
  const problems: string[] = [];
  const schedule = compile(dag, compiler, problems);
  checkDagOptions(dag, problems);
  const defaults = typeof dag.options.defaults === "object" && dag.options.defaults !== null ? dag.options.defaults : {};
  for (const task of dag.tasks.values()) checkTask(task, defaults, problems);
  if (problems.length > 0 || schedule === undefined) return { ok: false, problems };
  return { ok: true, schedule };
}

/** One readable message for a failed validation: a single line, or a short list. */
export function formatProblems(dagId: string, problems: readonly string[]): string {
  if (problems.length === 1) return `DAG "${dagId}": ${problems[0]}`;
  return [`DAG "${dagId}" has ${problems.length} problems:`, ...problems.map((p) => `  - ${p}`)].join("\n");
}
