import type { DeadLetterKind, DeadLetterStatus } from "../model/states";
import type { Db } from "./db";

/** One invalid record a task sent to the dead-letter queue. */
export interface RecordDeadLetterInput {
  dagId: string;
  taskId: string;
  taskInstanceId: number | null;
  dagRunId: number | null;
  tryNumber: number | null;
  partition: string | null;
  /** Stable key of the record (see `ValidateOptions.key`); null when the task gave none. */
  recordKey: string | null;
  /** The record as received; stored as JSON. */
  payload: unknown;
  error: string;
  /** Structured validation issues (zod's), stored as JSON. */
  issues: unknown;
  /** JSON Schema of the contract the record broke (ctx.validate), checked before a replay; null when unknown. */
  schema?: unknown;
}

/** A stored dead letter: the record (or failed task) as written, plus its state. */
export interface DeadLetter extends RecordDeadLetterInput {
  id: number;
  kind: DeadLetterKind;
  status: DeadLetterStatus;
  /** How many times this record / task failed while the dead letter was open. */
  attempts: number;
  /** JSON Schema the payload must meet (record letters from ctx.validate), else null. */
  schema: unknown;
  createdAt: Date;
  updatedAt: Date;
}

/** Filter of `listDeadLetters`. */
export interface DeadLetterFilter {
  dagId?: string;
  taskId?: string;
  status?: DeadLetterStatus;
  kind?: DeadLetterKind;
  dagRunId?: number;
  /** At most this many (newest first). Default 1000. */
  limit?: number;
}

/**
 * JSON text for a jsonb column. Postgres jsonb rejects the NUL character and JSON.stringify
 * rejects bigint and cycles; a dead letter must still be stored, so those are degraded, not fatal.
 */
export function toJsonText(value: unknown): string | null {
  if (value === undefined) return null;
  const replacer = (_key: string, v: unknown): unknown => {
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "string") return v.replaceAll("\u0000", "\uFFFD");
    return v;
  };
  try {
    return JSON.stringify(value, replacer) ?? null;
  } catch {
    return JSON.stringify(String(value).replaceAll("\u0000", "\uFFFD"));
  }
}

/**
 * Stores invalid records. Idempotent across tries: a record that already has an OPEN dead letter
 * for the same DAG, task and partition (same record key, or for key-less records the same payload)
 * is updated (attempts + 1, latest error and try) instead of duplicated, so a retried or cleared
 * task does not double the queue. Records whose dead letter was replayed or discarded get a new one.
 * @returns the ids of the dead letters (new and updated), and how many of each.
 */
export async function insertRecordDeadLetters(
  db: Db,
  rows: readonly RecordDeadLetterInput[],
): Promise<{ ids: number[]; inserted: number; updated: number }> {
  if (rows.length === 0) return { ids: [], inserted: 0, updated: 0 };
  const incoming = dedupeIncoming(rows);
  return db.transaction(async (trx) => {
    // Serializes two overlapping tries of the same task so both cannot insert the same record.
    const scopes = [...new Set(incoming.map((r) => `runnel.dlq:${r.dag_id}/${r.task_id}/${r.partition ?? ""}`))].sort();
    for (const scope of scopes) await trx.raw("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [scope]);
    const result = await trx.raw<{ rows: Array<{ id: number; updated: boolean }> }>(UPSERT_RECORDS_SQL, [JSON.stringify(incoming)]);
    const updated = result.rows.filter((r) => r.updated).length;
    const created = result.rows.filter((r) => !r.updated).map((r) => Number(r.id));
    if (created.length > 0) {
      await trx.raw("INSERT INTO dead_letter_history (dead_letter_id, event, actor) SELECT unnest(?::bigint[]), 'created', 'task'", [created]);
    }
    return { ids: result.rows.map((r) => Number(r.id)).sort((a, b) => a - b), inserted: result.rows.length - updated, updated };
  });
}

interface IncomingRecord {
  ord: number;
  dag_id: string;
  task_id: string;
  task_instance_id: number | null;
  dag_run_id: number | null;
  try_number: number | null;
  partition: string | null;
  record_key: string | null;
  payload: unknown;
  error: string;
  issues: unknown;
  schema: unknown;
}

/** One row per identity (the last wins), so the set-based upsert below matches at most one open row each. */
function dedupeIncoming(rows: readonly RecordDeadLetterInput[]): IncomingRecord[] {
  const byIdentity = new Map<string, IncomingRecord>();
  rows.forEach((r, ord) => {
    const payloadText = toJsonText(r.payload);
    const identity = JSON.stringify([r.dagId, r.taskId, r.partition, r.recordKey ?? null, r.recordKey === null ? payloadText : null]);
    byIdentity.set(identity, {
      ord,
      dag_id: r.dagId,
      task_id: r.taskId,
      task_instance_id: r.taskInstanceId,
      dag_run_id: r.dagRunId,
      try_number: r.tryNumber,
      partition: r.partition,
      record_key: r.recordKey,
      payload: payloadText === null ? null : (JSON.parse(payloadText) as unknown),
      error: String(r.error ?? "invalid record"),
      issues: r.issues === undefined ? null : (JSON.parse(toJsonText(r.issues) ?? "null") as unknown),
      schema: r.schema === undefined ? null : (JSON.parse(toJsonText(r.schema) ?? "null") as unknown),
    });
  });
  return [...byIdentity.values()];
}

const UPSERT_RECORDS_SQL = `
  WITH incoming AS (
    SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(
      ord int, dag_id text, task_id text, task_instance_id bigint, dag_run_id bigint, try_number int,
      partition text, record_key text, payload jsonb, error text, issues jsonb, schema jsonb)
  ),
  updated AS (
    UPDATE dead_letters d
       SET payload = i.payload, error = i.error, issues = i.issues, schema = coalesce(i.schema, d.schema), task_instance_id = i.task_instance_id,
           dag_run_id = i.dag_run_id, try_number = i.try_number, attempts = d.attempts + 1, updated_at = now()
      FROM incoming i
     WHERE d.kind = 'record' AND d.status = 'open' AND d.dag_id = i.dag_id AND d.task_id = i.task_id
       AND d.partition IS NOT DISTINCT FROM i.partition
       AND (d.record_key = i.record_key
            OR (i.record_key IS NULL AND d.record_key IS NULL AND d.payload IS NOT DISTINCT FROM i.payload))
    RETURNING d.id, i.ord
  ),
  inserted AS (
    INSERT INTO dead_letters (kind, dag_id, task_id, task_instance_id, dag_run_id, try_number, partition, record_key, payload, error, issues, schema)
    SELECT 'record', i.dag_id, i.task_id, i.task_instance_id, i.dag_run_id, i.try_number, i.partition, i.record_key, i.payload, i.error, i.issues, i.schema
      FROM incoming i
     WHERE i.ord NOT IN (SELECT ord FROM updated)
     ORDER BY i.ord
    RETURNING id
  )
  SELECT id, true AS updated FROM updated
  UNION ALL
  SELECT id, false AS updated FROM inserted`;

/** A dead_letters row. */
export interface DeadLetterRow {
  id: number;
  kind: DeadLetterKind;
  status: DeadLetterStatus;
  dag_id: string;
  task_id: string;
  task_instance_id: number | null;
  dag_run_id: number | null;
  try_number: number | null;
  partition: string | null;
  record_key: string | null;
  payload: unknown;
  error: string;
  issues: unknown;
  schema: unknown;
  attempts: number;
  created_at: Date;
  updated_at: Date;
}

/** Dead letters matching `filter`, newest first. */
export async function listDeadLetters(db: Db, filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
  const query = db<DeadLetterRow>("dead_letters").select("*").orderBy("id", "desc").limit(filter.limit ?? 1000);
  if (filter.dagId !== undefined) query.where("dag_id", filter.dagId);
  if (filter.taskId !== undefined) query.where("task_id", filter.taskId);
  if (filter.status !== undefined) query.where("status", filter.status);
  if (filter.kind !== undefined) query.where("kind", filter.kind);
  if (filter.dagRunId !== undefined) query.where("dag_run_id", filter.dagRunId);
  const rows = (await query) as DeadLetterRow[];
  return rows.map(toDeadLetter);
}

/** A dead_letters row as the store shows it. */
export function toDeadLetter(r: DeadLetterRow): DeadLetter {
  return {
    id: Number(r.id),
    kind: r.kind,
    status: r.status,
    dagId: r.dag_id,
    taskId: r.task_id,
    taskInstanceId: r.task_instance_id === null ? null : Number(r.task_instance_id),
    dagRunId: r.dag_run_id === null ? null : Number(r.dag_run_id),
    tryNumber: r.try_number,
    partition: r.partition,
    recordKey: r.record_key,
    payload: r.payload,
    error: r.error,
    issues: r.issues,
    schema: r.schema ?? null,
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
