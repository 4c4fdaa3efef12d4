import { AlertEvent } from "../model/alerts";
import { CallbackHook, type CallbackLists, type DagDefinition } from "../sdk/defineDag";
import type { AlertCallback, CallbackContext, CallbackEvent } from "../sdk/types";
import type { AlertEventRow } from "../store/alertOutbox";
import type { AlertPayload } from "./alertPayload";

/**
 * DAG-file callbacks as alert deliveries. Each callback of an event is one alert_deliveries row
 * whose channel names it: "callback:dag.<hook>[<i>]" or "callback:task.<taskId>.<hook>[<i>]"
 * (i = its index in the hook's list), so the sender can find the function again in its own
 * registry, in any process, after a restart.
 *
 * Which hooks an event calls:
 * - task_failed / task_succeeded / task_retry of task T: T's onFailure / onSuccess / onRetry;
 *   task_retry also the DAG's onRetry;
 * - run_failed / run_succeeded: the DAG's onFailure / onSuccess;
 * - deadline_missed: T's onDeadlineMissed when it is about task T, else the DAG's.
 */

/** Where a callback lives: the DAG's own hooks, or one task's. */
export interface CallbackRef {
  taskId: string | null;
  hook: CallbackHook;
  index: number;
}

const CHANNEL_PREFIX = "callback:";
const CHANNEL = /^callback:(?:dag|task\.(.+))\.(onFailure|onSuccess|onRetry|onDeadlineMissed)\[(\d+)\]$/;

/** The alert_deliveries.channel of a callback. */
export function callbackChannel(ref: CallbackRef): string {
  return `${CHANNEL_PREFIX}${ref.taskId === null ? "dag" : `task.${ref.taskId}`}.${ref.hook}[${ref.index}]`;
}

/** Whether a delivery channel is a DAG-file callback. */
export function isCallbackChannel(channel: string): boolean {
  return channel.startsWith(CHANNEL_PREFIX);
}

/** The callback a channel names, or null when it is not a callback channel. */
export function parseCallbackChannel(channel: string): CallbackRef | null {
  const m = CHANNEL.exec(channel);
  if (!m) return null;
  return { taskId: m[1] ?? null, hook: m[2] as CallbackHook, index: Number(m[3]) };
}

/** The hooks (task-level first) an event calls; empty for events no callback receives. */
function hooksFor(e: Pick<AlertEventRow, "event" | "taskId">): Array<{ taskId: string | null; hook: CallbackHook }> {
  const task = e.taskId;
  switch (e.event) {
    case AlertEvent.task_failed:
      return task === null ? [] : [{ taskId: task, hook: CallbackHook.onFailure }];
    case AlertEvent.task_succeeded:
      return task === null ? [] : [{ taskId: task, hook: CallbackHook.onSuccess }];
    case AlertEvent.task_retry:
      return task === null ? [] : [{ taskId: task, hook: CallbackHook.onRetry }, { taskId: null, hook: CallbackHook.onRetry }];
    case AlertEvent.run_failed:
      return [{ taskId: null, hook: CallbackHook.onFailure }];
    case AlertEvent.run_succeeded:
      return [{ taskId: null, hook: CallbackHook.onSuccess }];
    case AlertEvent.deadline_missed:
      return [{ taskId: task, hook: CallbackHook.onDeadlineMissed }];
    default:
      return [];
  }
}

function listsOf(dag: DagDefinition, taskId: string | null): CallbackLists | undefined {
  return taskId === null ? dag.callbacks : dag.tasks.get(taskId)?.callbacks;
}

/** The callback channels of `e` in `dag` (one per callback). */
export function callbackChannelsFor(dag: DagDefinition, e: Pick<AlertEventRow, "event" | "taskId">): string[] {
  const channels: string[] = [];
  for (const { taskId, hook } of hooksFor(e)) {
    const list = listsOf(dag, taskId)?.[hook] ?? [];
    list.forEach((_, index) => channels.push(callbackChannel({ taskId, hook, index })));
  }
  return channels;
}

/** The callback `ref` names in `dag`; throws saying what is missing (the DAG file changed since the event). */
export function resolveCallback(dag: DagDefinition, ref: CallbackRef): AlertCallback {
  if (ref.taskId !== null && !dag.tasks.has(ref.taskId)) throw new Error(`DAG ${dag.id} has no task "${ref.taskId}" any more`);
  const list = listsOf(dag, ref.taskId)?.[ref.hook] ?? [];
  const cb = list[ref.index];
  const where = ref.taskId === null ? `DAG ${dag.id}` : `task ${dag.id}.${ref.taskId}`;
  if (cb === undefined) throw new Error(`${where} has no ${ref.hook}[${ref.index}] callback any more (the DAG file changed)`);
  return cb;
}

/** What a callback function receives; the data interval is the run's (the logical date when the run is gone). */
export function callbackContext(e: AlertEventRow, payload: AlertPayload): CallbackContext {
  const logicalDate = e.logicalDate ?? e.occurredAt;
  return {
    event: e.event as CallbackEvent,
    alertId: e.id,
    dagId: e.dagId ?? "",
    runId: e.runId ?? "",
    logicalDate,
    dataInterval: { start: e.dataIntervalStart ?? logicalDate, end: e.dataIntervalEnd ?? logicalDate },
    ...(e.taskId !== null ? { taskId: e.taskId } : {}),
    ...(e.tryNumber !== null ? { tryNumber: e.tryNumber } : {}),
    ...(e.error !== null ? { error: e.error } : {}),
    url: payload.url,
    occurredAt: e.occurredAt,
    details: { ...e.details },
  };
}
