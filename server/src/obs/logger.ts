import pino, { type Logger } from "pino";

export type { Logger };

/**
 * The process logger: JSON lines on stdout. Child loggers carry `traceId` (the run id),
 * `dagId`, `taskId` and `try` so one grep follows a run across scheduler and workers.
 */
export function createLogger(level: string, component: string): Logger {
  return pino({ level, base: { component, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that drops everything (tests, `dags test` output mode). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
