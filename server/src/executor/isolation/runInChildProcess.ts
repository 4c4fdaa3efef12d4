import { fork } from "node:child_process";
import { createInterface } from "node:readline";
import { NonRetryableError, RetryAfterError, SkipError } from "../../sdk/errors";
import type { AttemptLog } from "../attemptLog";
import { TaskFailure } from "../taskContext";
import { CHILD_KILL_GRACE_MS, TryCanceledError } from "../tryCanceled";
import type { ChildTaskMessage, ChildTaskOutcome, ChildTaskRequest } from "./protocol";

const CHILD_MAIN = new URL("./taskChildMain.mjs", import.meta.url);

/** The error the task threw in its child, rebuilt so retries, skips and the try's log treat it as if it had been thrown here. */
function rebuildError(o: Extract<ChildTaskOutcome, { ok: false }>): Error {
  let err: Error;
  if (o.engine) err = new TaskFailure(o.message, o.code ?? "CHILD_FAILED");
  else if (o.code === "NON_RETRYABLE") err = new NonRetryableError(o.message);
  else if (o.code === "RETRY_AFTER") err = new RetryAfterError(o.message, o.delayMs ?? 0);
  else if (o.code === "SKIP") err = new SkipError(o.message);
  else err = new Error(o.message);
  if (o.stack) err.stack = o.stack;
  return err;
}

/**
 * Runs one try's task function in a child process (`isolation: "process"`): a CPU-bound or
 * runaway task cannot stall the worker (its job lock renewals, heartbeats and other tries), and
 * `signal` kills the child: outright at the task's timeout; SIGTERM, then SIGKILL after
 * CHILD_KILL_GRACE_MS, when the try was canceled (TryCanceledError). The child's log lines and anything it
 * prints go to the try's log as they happen. Resolves with the function's output; rejects with
 * the error it threw (Runnel errors keep their meaning), or a failure naming how the child ended.
 */
export function runInChildProcess(req: ChildTaskRequest, log: AttemptLog, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_MAIN, [], { serialization: "advanced", stdio: ["ignore", "pipe", "pipe", "ipc"] });
    let outcome: ChildTaskOutcome | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    // A timeout kills outright; a cancel asks first (SIGTERM) and kills after a grace period.
    const kill = (): void => {
      if (!(signal.reason instanceof TryCanceledError)) {
        child.kill("SIGKILL");
        return;
      }
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), CHILD_KILL_GRACE_MS);
      killTimer.unref();
    };
    if (signal.aborted) kill();
    signal.addEventListener("abort", kill, { once: true });
    for (const [stream, level] of [
      [child.stdout, "info"],
      [child.stderr, "warn"],
    ] as const) {
      if (stream) createInterface({ input: stream }).on("line", (text) => log[level](text));
    }
    child.on("message", (m: ChildTaskMessage) => {
      if (m.type === "log") log[m.line.level](m.line.message, m.line.fields);
      else outcome = m.outcome;
    });
    child.once("spawn", () => child.send(req));
    child.once("error", (err) => {
      signal.removeEventListener("abort", kill);
      // Retryable, like a lost worker: the next try may well start.
      reject(new Error(`could not run the task in a child process: ${err.message}`));
    });
    child.once("close", (code, sig) => {
      signal.removeEventListener("abort", kill);
      if (killTimer) clearTimeout(killTimer);
      if (outcome?.ok) resolve(outcome.output);
      else if (outcome) reject(rebuildError(outcome));
      else if (signal.aborted) reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      else reject(new Error(`the task's child process ended before reporting (${sig ? `killed by ${sig}` : `exit code ${code}`})`));
    });
  });
}
