import { TaskTimeoutError } from "../sdk/errors";
import { withAttemptLog, type AttemptLog } from "./attemptLog";

/**
 * Runs a try's body with its log captured, bounded by the task's `timeoutMs` (null: none): at the
 * timeout `controller` is aborted with a TaskTimeoutError (so `ctx.signal` fires and a child is
 * killed) and the returned promise rejects with it, whether or not the body stops.
 */
export async function runWithTimeout<T>(timeoutMs: number | null, controller: AbortController, log: AttemptLog, body: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    if (timeoutMs === null) return;
    timer = setTimeout(() => {
      const err = new TaskTimeoutError(`task timed out after ${timeoutMs} ms`, timeoutMs);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([withAttemptLog(log, () => Promise.resolve().then(body)), timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
