import { RunType } from "../model/states";
import type { TaskLogger } from "../sdk/types";
import { recordDatasetReads } from "../store/datasetReads";
import type { Db } from "../store/db";
import { discardedKeys, markReplayed, pendingReplays, requeueReplay } from "../store/deadLetterActions";
import { insertRecordDeadLetters, type DeadLetter, type RecordDeadLetterInput } from "../store/deadLetters";
import { recordDatasetEvent } from "../store/lineage";

/** The task instance and try a context's history is attributed to. */
export interface HistoryTry {
  taskInstanceId: number;
  dagRunId: number;
  dagId: string;
  taskId: string;
  tryNumber: number;
  /** The run's partition (replays and discards are looked up per task and partition). */
  partition: string;
}

/** One write of a dataset partition, as a task helper made it. */
export interface DatasetWrite {
  uri: string;
  partition: string;
  rowCount: number | null;
  checksum: string | null;
}

/** Where the invalid records of `ctx.validate` / `ctx.deadLetter` went. */
export interface StoredLetters {
  /** False when the letters were only logged (a test: nothing stored, nothing to replay). */
  stored: boolean;
  inserted: number;
  updated: number;
}

/**
 * What a task's context records about a try besides the task's own data: lineage (dataset
 * events and reads) and dead letters, with the replays and discards those letters carry.
 * The worker records into Runnel's database (`storedTaskHistory`); `tasks test` records
 * nothing (`unrecordedTaskHistory`), so a test leaves no trace in Runnel's history.
 */
export interface TaskHistory {
  /** A dataset partition was written (dataset_events). */
  recordWrite(write: DatasetWrite): Promise<void>;
  /** Dataset partitions were read (dataset_reads); returns how many reads were new. */
  recordReads(uri: string, partitions: readonly string[]): Promise<number>;
  /** Invalid records for a person to look at (dead_letters). */
  storeDeadLetters(rows: RecordDeadLetterInput[]): Promise<StoredLetters>;
  /** Letters a person asked to replay into this task and partition (their edited payloads). */
  pendingReplays(): Promise<DeadLetter[]>;
  /** Record keys a person discarded for this task and partition (still-invalid records are dropped). */
  discardedKeys(): Promise<ReadonlySet<string>>;
  /** The rerun accepted a replayed letter. */
  markReplayed(letterId: number): Promise<void>;
  /** The rerun rejected a replayed letter again. */
  requeueReplay(letterId: number, error: string, issues: unknown): Promise<void>;
}

/** Lineage and dead letters stored in Runnel's database, attributed to the task instance and try. */
export function storedTaskHistory(db: Db, t: HistoryTry): TaskHistory {
  const lineage = { taskInstanceId: t.taskInstanceId, dagRunId: t.dagRunId, tryNumber: t.tryNumber };
  const details = { dagRunId: t.dagRunId, tryNumber: t.tryNumber };
  return {
    recordWrite: async (w) => void (await recordDatasetEvent(db, { ...w, ...lineage })),
    recordReads: (uri, partitions) => recordDatasetReads(db, uri, partitions, lineage),
    storeDeadLetters: async (rows) => ({ stored: true, ...(await insertRecordDeadLetters(db, rows)) }),
    pendingReplays: () => pendingReplays(db, t.dagId, t.taskId, t.partition),
    discardedKeys: () => discardedKeys(db, t.dagId, t.taskId, t.partition),
    markReplayed: (id) => markReplayed(db, id, details),
    requeueReplay: (id, error, issues) => requeueReplay(db, id, error, issues, details),
  };
}

/** Dead letters that are logged (each record, its key and error) instead of stored. */
function loggedLetters(log: TaskLogger, why: string): Pick<TaskHistory, "storeDeadLetters" | "pendingReplays" | "discardedKeys" | "markReplayed" | "requeueReplay"> {
  return {
    async storeDeadLetters(rows) {
      for (const r of rows) log.warn(`invalid record (not stored: ${why}): ${r.error}`, { record: r.payload, ...(r.recordKey === null ? {} : { key: r.recordKey }) });
      return { stored: false, inserted: 0, updated: 0 };
    },
    pendingReplays: async () => [],
    discardedKeys: async () => new Set<string>(),
    markReplayed: async () => undefined,
    requeueReplay: async () => undefined,
  };
}

/**
 * Records nothing (`tasks test`): no dataset event, no dataset read, no dead letter; invalid
 * records are written to the task's log instead, and no replay is substituted.
 */
export function unrecordedTaskHistory(log: TaskLogger): TaskHistory {
  return {
    recordWrite: async () => undefined,
    recordReads: async () => 0,
    ...loggedLetters(log, "tasks test"),
  };
}

/**
 * The history of a try of a stored run. A `dags test` run (run type `test`) keeps its lineage,
 * so its run page and the partitions it wrote show what it did, but opens no dead letters: its
 * invalid records are logged in the try's log, and replays meant for real runs are left alone.
 */
export function historyForRun(db: Db, t: HistoryTry, runType: RunType, log: TaskLogger): TaskHistory {
  const stored = storedTaskHistory(db, t);
  return runType === RunType.test ? { ...stored, ...loggedLetters(log, "a dags test run") } : stored;
}
