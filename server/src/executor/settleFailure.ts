import type { SerializedTask } from "../model/graph";
import type { Logger } from "../obs/logger";
import { AttemptState, TaskState } from "../model/states";
import type { Db } from "../store/db";
import { finishTry, getTryFacts, scheduleRetry, type ClaimedTry } from "../store/taskTries";
import type { LogLine } from "../store/taskLogs";
import type { ReadyDispatch } from "../store/taskInstances";
import { computeRetryDelay, type RetryPolicy } from "./retryDelay";

/** Retry policy used when the task is no longer in any loaded DAG. */
export const FALLBACK_RETRY_POLICY: RetryPolicy = { retryDelayMs: 30_000, backoff: "exponential", maxRetryDelayMs: 3_600_000, jitter: 0.1 };

export function retryPolicyOf(task: SerializedTask | undefined): RetryPolicy {
  return task ? { retryDelayMs: task.retryDelayMs, backoff: task.backoff, maxRetryDelayMs: task.maxRetryDelayMs, jitter: task.jitter } : FALLBACK_RETRY_POLICY;
}

/** A failed or lost try of a running task instance. */
export interface FailedTry extends Pick<ClaimedTry, "id" | "dagRunId" | "dagId" | "taskId" | "tryNumber" | "maxTries"> {
  error: string;
  errorCode: string | null;
  /** `failed` for an error the task raised, `lost` for a vanished worker. */
  attemptState: typeof AttemptState.failed | typeof AttemptState.lost;
  /** Fail now whatever tries are left (NonRetryableError, bad params). */
  final: boolean;
  /** A RetryAfterError's delay, used instead of the backoff. */
  retryAfterMs?: number;
  logLines?: LogLine[];
}

export interface SettleDeps {
  db: Db;
  /** The one admission-and-dispatch path (scheduler/taskDispatch.ts). */
  dispatch: ReadyDispatch;
  log: Logger;
  random?: () => number;
}

/**
 * Decides what a failed try leads to: another try after the backoff delay (up_for_retry and a
 * delayed job), or the end (failed, downstream upstream_failed, a task dead letter, run state).
 * Both writes are fenced: a try that lost the race changes nothing.
 * @returns the resulting task state, or null when the fence refused.
 */
export async function settleFailure(deps: SettleDeps, failed: FailedTry, policy: RetryPolicy): Promise<TaskState | null> {
  const canRetry = !failed.final && failed.tryNumber < failed.maxTries;
  if (canRetry) {
    const delayMs = failed.retryAfterMs ?? computeRetryDelay(policy, failed.tryNumber, deps.random);
    const next = await scheduleRetry(deps.db, {
      id: failed.id,
      tryNumber: failed.tryNumber,
      delayMs,
      attemptState: failed.attemptState,
      error: failed.error,
      errorCode: failed.errorCode,
      logLines: failed.logLines,
    });
    if (next === null) return null;
    await deps.dispatch.dispatch({ queued: [next] });
    deps.log.info({ taskId: failed.taskId, try: failed.tryNumber, nextTry: next.tryNumber, delayMs }, "try failed; retry scheduled");
    return TaskState.up_for_retry;
  }
  const result = await finishTry(
    deps.db,
    {
      id: failed.id,
      dagRunId: failed.dagRunId,
      taskId: failed.taskId,
      tryNumber: failed.tryNumber,
      state: TaskState.failed,
      attemptState: failed.attemptState,
      error: failed.error,
      errorCode: failed.errorCode,
      logLines: failed.logLines,
    },
    (dagId) => deps.dispatch.queueReady(dagId),
  );
  if (!result.won) return null;
  await deps.dispatch.dispatch(result);
  deps.log.warn({ taskId: failed.taskId, try: failed.tryNumber, runState: result.runState }, "task failed");
  return TaskState.failed;
}

/**
 * A try whose worker vanished (BullMQ redelivered its stalled job, or its heartbeat stopped):
 * the try is recorded as lost and retried while tries remain.
 */
export async function settleLostTry(deps: SettleDeps, id: number, tryNumber: number, reason: string, task: SerializedTask | undefined): Promise<TaskState | null> {
  const facts = await getTryFacts(deps.db, id);
  if (!facts || facts.state !== TaskState.running || facts.tryNumber !== tryNumber) return null;
  return settleFailure(
    deps,
    { id, dagRunId: facts.dagRunId, dagId: facts.dagId, taskId: facts.taskId, tryNumber, maxTries: facts.maxTries, error: reason, errorCode: "WORKER_LOST", attemptState: AttemptState.lost, final: false },
    retryPolicyOf(task),
  );
}
