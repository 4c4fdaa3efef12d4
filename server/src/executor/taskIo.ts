import { resolve } from "node:path";
import { NonRetryableError } from "../sdk/errors";
import { z } from "zod";
import type { TaskContext, TaskLogger, ValidateOptions } from "../sdk/types";
import type { Db } from "../store/db";
import type { RecordDeadLetterInput } from "../store/deadLetters";
import { overwriteFile } from "./files";
import { storedTaskHistory, type HistoryTry, type TaskHistory } from "./taskHistory";
import { createTaskReads } from "./taskReads";
import type { Warehouse } from "./warehouse";

/** The task instance whose writes these helpers attribute lineage and dead letters to (its partition is the default for writes, files and dead letters). */
export type TaskIoInstance = HistoryTry;

/**
 * What `createTaskIo` needs: the warehouse, the try, and where its lineage and dead letters go —
 * a `history` (see taskHistory.ts), or the Runnel database `db` to store them in.
 */
export type TaskIoDeps = { warehouse: Warehouse; ti: TaskIoInstance; log: TaskLogger } & ({ history: TaskHistory } | { db: Db });

interface IoDeps {
  warehouse: Warehouse;
  ti: TaskIoInstance;
  log: TaskLogger;
  history: TaskHistory;
}

/** The I/O half of a task context: the helpers that read and write data and record both for lineage. */
export type TaskIo = Pick<TaskContext, "partitions" | "files" | "warehouse" | "validate" | "deadLetter">;

/**
 * Builds the context helpers of one try of one task instance. Every write records a dataset
 * event attributed to the task instance and try, every read a dataset read of the same try (see
 * taskReads.ts); every invalid record becomes a dead letter — all through the given history, which
 * for `tasks test` records nothing.
 *
 * The lineage event is written after the data commits (the warehouse may be another database).
 * A crash between the two leaves the data without its event; the retry rewrites the partition
 * and records it, so the event log is at-least-once, like the writes.
 */
export function createTaskIo(given: TaskIoDeps): TaskIo {
  const { warehouse, ti, log } = given;
  const history = "history" in given ? given.history : storedTaskHistory(given.db, ti);
  const deps: IoDeps = { warehouse, ti, log, history };
  const reads = createTaskReads({ warehouse: warehouse.client, history, partition: ti.partition, log });

  return {
    warehouse: warehouse.client,
    partitions: {
      ...reads.partitions,
      async overwrite(table, rows, options) {
        const partition = options.partition ?? ti.partition;
        const written = await warehouse.overwritePartition({ table, rows, partitionColumn: options.partitionColumn, partition });
        await history.recordWrite({ uri: written.dataset, partition, rowCount: written.rowCount, checksum: written.checksum });
        log.info(`overwrote partition ${partition} of ${written.dataset}: ${written.rowCount} rows`, { checksum: written.checksum });
        return written.rowCount;
      },
    },
    files: {
      ...reads.files,
      async overwrite(path, data, options) {
        const absolute = resolve(path);
        const written = await overwriteFile(absolute, data);
        const partition = options?.partition ?? ti.partition;
        const uri = options?.dataset ?? `file://${absolute}`;
        await history.recordWrite({ uri, partition, rowCount: options?.rowCount ?? null, checksum: written.checksum });
        log.info(`wrote ${absolute}: ${written.bytes} bytes`, { dataset: uri, checksum: written.checksum, partition });
      },
    },
    validate: (records, schema, options) => validateRecords(deps, records, schema, options),
    async deadLetter(record, error, options) {
      const message = typeof error === "string" ? error : error.message;
      const stored = await history.storeDeadLetters([deadLetterRow(ti, record, message, null, options?.key ?? null)]);
      if (stored.stored) log.warn(`sent a record to the dead-letter queue: ${message}`, options?.key === undefined ? undefined : { key: options.key });
    },
  };
}

/**
 * Keeps the records `schema` accepts (parsed, so defaults and transforms apply) and stores every
 * other one as a dead letter. Only then, if `maxInvalidRatio` is exceeded, fails the task: the
 * bad records stay inspectable and replayable even when the gate stops the run.
 */
async function validateRecords<T>(
  deps: IoDeps,
  records: readonly unknown[],
  schema: z.ZodType<T>,
  options: ValidateOptions<T> = {},
): Promise<T[]> {
  const { history, ti, log } = deps;
  const valid: T[] = [];
  const invalid: RecordDeadLetterInput[] = [];
  let invalidCount = 0;
  const { inputs, replays } = await applyReplays(history, records, options.key);
  const dropped = await history.discardedKeys();
  for (const { record, replayId } of inputs) {
    const parsed = schema.safeParse(record);
    if (parsed.success) {
      valid.push(parsed.data);
      if (replayId !== null) await history.markReplayed(replayId);
      continue;
    }
    const issues = parsed.error.issues;
    if (replayId !== null) {
      await history.requeueReplay(replayId, describeIssues(issues), issues);
      invalidCount++;
      continue;
    }
    const key = recordKeyOf(options.key, record);
    // A discarded letter's record that is still invalid is dropped, not queued again.
    if (key !== null && dropped.has(key)) continue;
    invalid.push(deadLetterRow(ti, record, describeIssues(issues), issues, key));
  }
  // Stored with each letter so an edited payload can be checked against the contract before a replay.
  const contract = invalid.length > 0 ? jsonSchemaOf(schema) : null;
  for (const row of invalid) row.schema = contract;
  if (replays > 0) log.info(`validate: ${replays} replayed dead letters substituted for their records`);
  if (invalid.length > 0) {
    const stored = await history.storeDeadLetters(invalid);
    if (stored.stored) {
      log.warn(`validate: ${invalid.length} of ${records.length} records invalid, sent to the dead-letter queue`, {
        inserted: stored.inserted,
        alreadyOpen: stored.updated,
      });
    } else log.warn(`validate: ${invalid.length} of ${records.length} records invalid (printed above, not stored)`);
  }
  const max = options.maxInvalidRatio;
  if (max !== undefined && records.length > 0) {
    const ratio = (invalid.length + invalidCount) / records.length;
    if (ratio > max) {
      // The same input fails the same way on every try: retrying cannot help.
      throw new NonRetryableError(`quality gate: ${invalid.length + invalidCount} of ${records.length} records invalid (${round(ratio)} > ${max})`);
    }
  }
  return valid;
}

/**
 * Substitutes each replay_pending dead letter of this task and partition for the input record
 * with the same key (its edited payload); letters whose key matches no input record (or that
 * have no key) are appended, so a replay is never lost. Each input remembers the letter it came from.
 */
async function applyReplays<T>(
  history: TaskHistory,
  records: readonly unknown[],
  key: ValidateOptions<T>["key"],
): Promise<{ inputs: Array<{ record: unknown; replayId: number | null }>; replays: number }> {
  const pending = await history.pendingReplays();
  if (pending.length === 0) return { inputs: records.map((record) => ({ record, replayId: null })), replays: 0 };
  const byKey = new Map(pending.filter((p) => p.recordKey !== null).map((p) => [p.recordKey!, p]));
  const used = new Set<number>();
  const inputs = records.map((record) => {
    const k = recordKeyOf(key, record);
    const letter = k === null ? undefined : byKey.get(k);
    if (!letter || used.has(letter.id)) return { record, replayId: null };
    used.add(letter.id);
    return { record: letter.payload, replayId: letter.id };
  });
  for (const letter of pending) if (!used.has(letter.id)) inputs.push({ record: letter.payload, replayId: letter.id });
  return { inputs, replays: pending.length };
}

function deadLetterRow(ti: TaskIoInstance, payload: unknown, error: string, issues: unknown, recordKey: string | null): RecordDeadLetterInput {
  return {
    dagId: ti.dagId,
    taskId: ti.taskId,
    taskInstanceId: ti.taskInstanceId,
    dagRunId: ti.dagRunId,
    tryNumber: ti.tryNumber,
    partition: ti.partition,
    recordKey,
    payload,
    error,
    issues,
  };
}

/**
 * The JSON Schema of what `schema` accepts as input (zod 4; parts JSON Schema cannot express, such as
 * refinements and transforms, become "any", so the server check is a first gate, not the last).
 * Null when zod cannot convert it: the letter is then stored without a schema.
 */
function jsonSchemaOf(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { unrepresentable: "any", io: "input" });
  } catch {
    return null;
  }
}

/** The key function is user code run on a record that just failed validation; it may well throw on it. */
function recordKeyOf<T>(key: ValidateOptions<T>["key"], record: unknown): string | null {
  if (!key) return null;
  try {
    const value = key(record);
    return value === undefined || value === null ? null : String(value);
  } catch {
    return null;
  }
}

/** One line per record for the dead-letter list, e.g. `amount: Too small: expected number to be >0`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join(".") : "(record)"}: ${issue.message}`).join("; ");
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
