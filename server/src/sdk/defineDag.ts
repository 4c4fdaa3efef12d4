import type { z } from "zod";
import type { CheckDefinition, CheckOptions, CheckOutput, CheckSeverity } from "./checks";
import type { TriggerRule } from "../model/states";
import type {
  AlertCallback,
  CallbackHooks,
  DagOptions,
  Needs,
  SensorOptions,
  TaskContext,
  TaskDefaults,
  TaskHandle,
  TaskOptions,
  TaskOutput,
} from "./types";

const DAG_BRAND = Symbol.for("runnel.dag");

/** The callback options of a DAG or task; the names are persisted in alert_deliveries.channel ("callback:dag.onFailure[0]"). */
export const CallbackHook = {
  onFailure: "onFailure",
  onSuccess: "onSuccess",
  onRetry: "onRetry",
  onDeadlineMissed: "onDeadlineMissed",
} as const;
export type CallbackHook = (typeof CallbackHook)[keyof typeof CallbackHook];
export const CALLBACK_HOOKS = Object.values(CallbackHook) as readonly CallbackHook[];

/** Each hook's callbacks as a list (a single callback is a list of one); hooks without any are absent. */
export type CallbackLists = Partial<Record<CallbackHook, readonly AlertCallback[]>>;

/** Lists the callbacks of `hooks` as written (validateDag checks each is a function or a notifier). */
export function callbackLists(hooks: CallbackHooks): CallbackLists {
  const lists: CallbackLists = {};
  for (const hook of CALLBACK_HOOKS) {
    const value: unknown = hooks[hook];
    if (value === undefined) continue;
    const list = (Array.isArray(value) ? [...(value as unknown[])] : [value]) as AlertCallback[];
    if (list.length > 0) lists[hook] = list;
  }
  return lists;
}

/** Ids of DAGs and tasks are persisted strings; keep them to a safe alphabet. */
export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,249}$/;

/** How a sensor pokes (filled for `kind: "sensor"` only). */
export interface SensorSpec {
  mode: "poke" | "reschedule";
  interval: NonNullable<SensorOptions<Needs, TaskOutput, unknown>["interval"]>;
  timeout: NonNullable<SensorOptions<Needs, TaskOutput, unknown>["timeout"]>;
  softFail: boolean;
  exponentialBackoff: boolean;
}

/** A check task's definition with its defaults filled in (filled for `dag.check` tasks only). */
export interface CheckSpec extends CheckDefinition {
  partitionColumn: string;
  severity: CheckSeverity;
}

/** One task as the engine sees it: static facts plus the function to run. */
export interface TaskSpec {
  id: string;
  kind: "task" | "sensor";
  /** Upstream task ids by the name they have in `ctx.upstream`. */
  needs: Readonly<Record<string, string>>;
  triggerRule: TriggerRule;
  /** DAG defaults merged with the task's own options. */
  options: TaskDefaults;
  inputs: readonly string[];
  outputs: readonly string[];
  doc?: string;
  sensor?: SensorSpec;
  /** Set for `dag.check` tasks: the engine evaluates it instead of calling `run`. */
  check?: CheckSpec;
  /** The task body (for a sensor: its poke). */
  run: (ctx: TaskContext<never, never>) => unknown;
  /** The task's own onFailure/onSuccess/onRetry/onDeadlineMissed callbacks, as lists. */
  callbacks: CallbackLists;
}

/** What a DAG file default-exports: the static graph and its functions. */
export interface DagDefinition<P = unknown> {
  readonly [DAG_BRAND]: true;
  readonly id: string;
  readonly options: DagOptions<z.ZodType<P>>;
  /** Tasks in definition order, which is a topological order. */
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** The DAG-level callbacks, as lists. */
  readonly callbacks: CallbackLists;
}

/** The builder handed to the `defineDag` callback. */
export interface DagBuilder<P> {
  /** Adds a task. It can only depend on tasks created before it, so the graph is acyclic. */
  task<O extends TaskOutput, N extends Needs = Record<never, never>>(id: string, options: TaskOptions<N, O, P>): TaskHandle<Awaited<O>>;
  /** Adds a sensor: a task that pokes until `poke` returns something other than false. */
  sensor<O extends TaskOutput = true, N extends Needs = Record<never, never>>(id: string, options: SensorOptions<N, O, P>): TaskHandle<Exclude<Awaited<O>, false>>;
  /**
   * Adds a data-quality check: a task that reads partition `ctx.partition` of `dataset` and
   * evaluates `expect`. Results are stored per run, task and partition (`check_results`). With
   * severity "error" (default) a failed expectation fails the task without retrying; with "warn"
   * the task succeeds and the failures are logged. Throws at load time on an empty `expect`; any
   * other problem of the definition (unknown kind, bad or missing fields, min > max, ...) makes the
   * DAG file an import error naming the check and the problem.
   */
  check<N extends Needs = Record<never, never>>(id: string, options: CheckOptions<N>): TaskHandle<CheckOutput>;
}

/**
 * Declares a DAG. `build` runs once, when the file is loaded, and only declares tasks; task
 * bodies run later in workers. Throws (and the file becomes an import error) on a bad or
 * duplicate task id or a dependency on a task of another DAG.
 */
export function defineDag<PS extends z.ZodType = z.ZodType<Record<string, never>>>(
  options: DagOptions<PS>,
  build: (dag: DagBuilder<z.output<PS>>) => void,
): DagDefinition<z.output<PS>> {
  if (typeof options?.id !== "string" || !ID_PATTERN.test(options.id)) {
    throw new Error(`defineDag: invalid DAG id ${JSON.stringify(options?.id)} (letters, digits, _ . - only)`);
  }
  const dagId = options.id;
  const tasks = new Map<string, TaskSpec>();

  function addTask(
    id: string,
    kind: TaskSpec["kind"],
    opts: { needs?: Needs; triggerRule?: TriggerRule; inputs?: readonly string[]; outputs?: readonly string[]; doc?: string } & TaskDefaults & CallbackHooks,
    run: TaskSpec["run"],
    sensor?: SensorSpec,
    check?: CheckSpec,
  ): TaskHandle<never> {
    if (typeof id !== "string" || !ID_PATTERN.test(id)) {
      throw new Error(`DAG ${dagId}: invalid task id ${JSON.stringify(id)} (letters, digits, _ . - only)`);
    }
    if (tasks.has(id)) throw new Error(`DAG ${dagId}: task id "${id}" is used twice`);
    if (typeof run !== "function") throw new Error(`DAG ${dagId}: task "${id}" has no ${kind === "sensor" ? "poke" : "run"} function`);
    const needs: Record<string, string> = {};
    for (const [alias, handle] of Object.entries(opts.needs ?? {})) {
      if (handle?.dagId !== dagId || !tasks.has(handle.taskId)) {
        throw new Error(`DAG ${dagId}: task "${id}" needs "${alias}", which is not a task of this DAG declared before it`);
      }
      needs[alias] = handle.taskId;
    }
    const { retries, retryDelay, backoff, maxRetryDelay, jitter, timeout, priorityWeight, isolation, expectedDuration } = opts;
    const own: TaskDefaults = { retries, retryDelay, backoff, maxRetryDelay, jitter, timeout, priorityWeight, isolation, expectedDuration };
    const merged: TaskDefaults = { ...options.defaults };
    for (const [key, value] of Object.entries(own)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    tasks.set(id, {
      id,
      kind,
      needs,
      triggerRule: opts.triggerRule ?? "all_success",
      options: merged,
      inputs: [...(opts.inputs ?? [])],
      outputs: [...(opts.outputs ?? [])],
      doc: opts.doc,
      sensor,
      check,
      run,
      callbacks: callbackLists(opts),
    });
    return { dagId, taskId: id };
  }

  const builder: DagBuilder<z.output<PS>> = {
    task(id, opts) {
      return addTask(id, "task", opts, opts.run as TaskSpec["run"]);
    },
    sensor(id, opts) {
      const sensor: SensorSpec = {
        mode: opts.mode ?? "reschedule",
        interval: opts.interval ?? "1m",
        timeout: opts.timeout ?? "1d",
        softFail: opts.softFail ?? false,
        exponentialBackoff: opts.exponentialBackoff ?? false,
      };
      return addTask(id, "sensor", opts, opts.poke as TaskSpec["run"], sensor);
    },
    check(id, opts) {
      if (!Array.isArray(opts.expect) || opts.expect.length === 0) throw new Error(`DAG ${dagId}: check "${id}" has no expectations`);
      // Everything else about the check (kinds, fields, bounds, names, severity) is validated with
      // the rest of the DAG when the file loads (dags/validateChecks.ts), so all problems show at once.
      const check: CheckSpec = {
        dataset: opts.dataset,
        partitionColumn: opts.partitionColumn ?? "ds",
        expect: [...opts.expect],
        severity: opts.severity ?? "error",
      };
      const run = () => {
        throw new Error(`check "${id}" is evaluated by the engine, not called`);
      };
      return addTask(id, "task", { ...opts, inputs: [opts.dataset] }, run, undefined, check);
    },
  };
  build(builder);
  if (tasks.size === 0) throw new Error(`DAG ${dagId}: declares no tasks`);

  return { [DAG_BRAND]: true, id: dagId, options: options as unknown as DagOptions<z.ZodType<z.output<PS>>>, tasks, callbacks: callbackLists(options) };
}

/** Whether a module export is a DAG made by any copy of `defineDag`. */
export function isDagDefinition(value: unknown): value is DagDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DAG_BRAND] === true;
}
