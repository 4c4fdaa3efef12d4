/**
 * The errors a task may throw to steer what happens next. Each carries a stable `name`
 * and `code`, and is recognised by a global symbol rather than `instanceof` alone, because
 * every DAG file is loaded in its own module graph with its own copy of this module.
 */
const BRAND = Symbol.for("runnel.error");

export type RunnelErrorCode = "NON_RETRYABLE" | "RETRY_AFTER" | "SKIP" | "TASK_TIMEOUT";

abstract class RunnelError extends Error {
  abstract readonly code: RunnelErrorCode;
  readonly [BRAND] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Fails the task at once: no further tries, whatever `retries` says. */
export class NonRetryableError extends RunnelError {
  override readonly name = "NonRetryableError";
  readonly code = "NON_RETRYABLE" as const;
}

/** Fails this try and asks for the next one after `delayMs` instead of the backoff delay (still counts as a try). */
export class RetryAfterError extends RunnelError {
  override readonly name = "RetryAfterError";
  readonly code = "RETRY_AFTER" as const;
  constructor(
    message: string,
    readonly delayMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Ends the task as `skipped`; downstream tasks see a skipped upstream (trigger rules decide). */
export class SkipError extends RunnelError {
  override readonly name = "SkipError";
  readonly code = "SKIP" as const;
}

/** Thrown into the task's `signal` when its `timeout` elapses; the try fails (and may be retried). */
export class TaskTimeoutError extends RunnelError {
  override readonly name = "TaskTimeoutError";
  readonly code = "TASK_TIMEOUT" as const;
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** The code of a Runnel error from any copy of this module, or undefined for any other value. */
export function runnelErrorCode(err: unknown): RunnelErrorCode | undefined {
  if (typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[BRAND] === true) {
    return (err as { code: RunnelErrorCode }).code;
  }
  return undefined;
}

/** The retry delay a RetryAfterError asked for, from any copy of this module. */
export function retryAfterDelay(err: unknown): number | undefined {
  return runnelErrorCode(err) === "RETRY_AFTER" ? (err as RetryAfterError).delayMs : undefined;
}
