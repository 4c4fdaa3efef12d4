import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";
import type { TaskLogger } from "../sdk/types";
import type { LogLine } from "../store/taskLogs";

/**
 * The log of one try: lines are buffered here, flushed to task_logs every second by the
 * worker (so the UI can follow a long task) and finally in the try's completion transaction.
 */
export class AttemptLog implements TaskLogger {
  private pending: LogLine[] = [];
  /** Every line of this try, for `dags test` / `tasks test` output. */
  readonly all: LogLine[] = [];

  constructor(private readonly echo?: (line: LogLine) => void) {}

  private add(level: LogLine["level"], message: string, fields?: Record<string, unknown>): void {
    const line: LogLine = { ts: new Date(), level, message: String(message), fields };
    this.pending.push(line);
    this.all.push(line);
    this.echo?.(line);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.add("info", message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.add("warn", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.add("error", message, fields);
  }
  debug(message: string, fields?: Record<string, unknown>): void {
    this.add("debug", message, fields);
  }
  /** Takes the lines not yet stored. */
  drain(): LogLine[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

const current = new AsyncLocalStorage<AttemptLog>();
let consolePatched = false;

/**
 * Routes `console.*` calls made inside a task (and anything it awaits) to that try's log, so
 * plain console logging in DAG code shows up in the UI. Outside a task, console is unchanged.
 */
export function captureConsole(): void {
  if (consolePatched) return;
  consolePatched = true;
  const levels = { log: "info", info: "info", warn: "warn", error: "error", debug: "debug" } as const;
  for (const [method, level] of Object.entries(levels) as [keyof typeof levels, LogLine["level"]][]) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const log = current.getStore();
      if (log) log[level](format(...args));
      else original(...args);
    };
  }
}

/** Runs `fn` with `log` as the destination of console output. */
export function withAttemptLog<T>(log: AttemptLog, fn: () => T): T {
  return current.run(log, fn);
}
