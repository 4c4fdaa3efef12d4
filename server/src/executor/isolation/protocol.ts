import type { ClaimedTry } from "../../store/taskTries";
import type { LogLine } from "../../store/taskLogs";

/** What the worker sends an isolated task's child process (once, right after it starts). */
export interface ChildTaskRequest {
  /** The DAG file and its folder (modules it imports from the folder are loaded with it). */
  dagFile: string;
  dagFolder: string;
  /** The DAG's timezone as the worker compiled it (the partition and `ds` must match the worker's). */
  timezone: string;
  claim: ClaimedTry;
  databaseUrl: string;
  warehouseUrl: string;
  warehouseSchema: string;
}

/** How the task's function ended, as the child reports it. */
export type ChildTaskOutcome =
  | { ok: true; output: unknown }
  | { ok: false; message: string; stack: string | null; code: string | null; delayMs: number | null; engine: boolean };

/** Messages from the child: log lines as they happen, then one result. */
export type ChildTaskMessage = { type: "log"; line: LogLine } | { type: "result"; outcome: ChildTaskOutcome };
