import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";
import type { TaskLogger } from "../sdk/types";
import type { LogLine } from "../store/taskLogs";

/** The default of RUNNEL_MAX_LOG_BYTES_PER_TRY: 10 MB. */
export const DEFAULT_MAX_LOG_BYTES_PER_TRY = 10 * 1024 * 1024;

/** Options of an AttemptLog. */
export interface AttemptLogOptions {
  /** Most bytes (message + fields as JSON) this try stores; later lines are dropped and counted. Default 10 MB. */
  maxBytes?: number;
  /** False: lines only go to `echo` (an isolated child streams them to the worker, whose log buffers and caps them). */
  retain?: boolean;
}

/** Bytes a line takes in task_logs: its message and its fields as JSON. */
function lineBytes(message: string, fields: Record<string, unknown> | undefined): number {
  let fieldBytes = 0;
  if (fields) {
    try {
      fieldBytes = Buffer.byteLength(JSON.stringify(fields) ?? "");
    } catch {
      fieldBytes = 0;
    }
  }
  return Buffer.byteLength(message) + fieldBytes;
}

/**
 * The log of one try: lines are buffered here, flushed to task_logs every second by the
 * worker (so the UI can follow a long task) and finally in the try's completion transaction.
 *
 * Capped at `maxBytes` per try (RUNNEL_MAX_LOG_BYTES_PER_TRY): once a line would take the try
 * past it, that line and every later one are dropped (never stored, echoed or kept), and the
 * final drain adds one warning saying how many lines and bytes were dropped. The task itself
 * goes on and ends as it would have. `drainLive` (the periodic flush) never adds that line, so
 * there is exactly one, and it is the try's last.
 */
export class AttemptLog implements TaskLogger {
  private pending: LogLine[] = [];
  /** Every stored line of this try, for `dags test` / `tasks test` output. */
  readonly all: LogLine[] = [];
  private readonly maxBytes: number;
  private readonly retain: boolean;
  private keptBytes = 0;
  private droppedLines = 0;
  private droppedBytes = 0;
  private summarized = false;

  constructor(
    private readonly echo?: (line: LogLine) => void,
    options: AttemptLogOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_LOG_BYTES_PER_TRY;
    this.retain = options.retain ?? true;
  }

  private add(level: LogLine["level"], message: string, fields?: Record<string, unknown>): void {
    const text = String(message);
    if (this.retain) {
      const bytes = lineBytes(text, fields);
      if (this.droppedLines > 0 || this.keptBytes + bytes > this.maxBytes) {
        this.droppedLines++;
        this.droppedBytes += bytes;
        return;
      }
      this.keptBytes += bytes;
    }
    this.push({ ts: new Date(), level, message: text, fields });
  }
  private push(line: LogLine): void {
    if (this.retain) {
      this.pending.push(line);
      this.all.push(line);
    }
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
  /** Takes the lines not yet stored, as the periodic flush does while the try runs. */
  drainLive(): LogLine[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
  /** Takes the last lines of the try, with the summary of what the cap dropped (if anything was). */
  drain(): LogLine[] {
    if (this.droppedLines > 0 && !this.summarized) {
      this.summarized = true;
      this.push({
        ts: new Date(),
        level: "warn",
        message: `log cap reached (RUNNEL_MAX_LOG_BYTES_PER_TRY = ${this.maxBytes} bytes): dropped ${this.droppedLines} lines (${this.droppedBytes} bytes) after the first ${this.keptBytes} bytes`,
        fields: { droppedLines: this.droppedLines, droppedBytes: this.droppedBytes, maxLogBytesPerTry: this.maxBytes },
      });
    }
    return this.drainLive();
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
