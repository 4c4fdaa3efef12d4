/**
 * Why a worker aborts a try's body when a person canceled its run, or marked or cleared its task
 * instance while it ran (the worker's poll in TryRunner.startBackground sees the try is no
 * longer current). Inline bodies see it as `ctx.signal.reason`; an isolated child gets SIGTERM,
 * then SIGKILL after CHILD_KILL_GRACE_MS.
 */
export class TryCanceledError extends Error {
  override readonly name = "TryCanceledError";
  constructor(message = "canceled: this try is no longer current (run canceled, or the task was marked or cleared while running)") {
    super(message);
  }
}

/** Between SIGTERM and SIGKILL of a canceled try's child process. */
export const CHILD_KILL_GRACE_MS = 2000;

/** After the abort, an in-process body still running this long is recorded as ignoring its signal (task_attempts.abort_ignored_at). */
export const ABORT_IGNORED_AFTER_MS = 3000;
