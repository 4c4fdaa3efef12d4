import type { Knex } from "knex";
import { DeadLetterEvent, type DeadLetterKind, type DeadLetterStatus } from "../model/states";
import type { Db } from "./db";
import { toDeadLetter, toJsonText, type DeadLetter, type DeadLetterRow } from "./deadLetters";

export { DeadLetterEvent } from "../model/states";

/** One history entry. */
export interface DeadLetterHistoryEntry {
  event: DeadLetterEvent;
  actor: string;
  details: unknown;
  at: Date;
}

/** Search filter of the dead-letter list and bulk actions. */
export interface DeadLetterSearch {
  dagId?: string;
  taskId?: string;
  partition?: string;
  status?: DeadLetterStatus;
  kind?: DeadLetterKind;
  /** Substring of the error text (case-insensitive). */
  q?: string;
  /** Only letters created before this instant. */
  olderThan?: Date;
  /** Only these letters. */
  ids?: readonly number[];
}

function applySearch(q: Knex.QueryBuilder, f: DeadLetterSearch): void {
  if (f.dagId !== undefined) q.where("dag_id", f.dagId);
  if (f.taskId !== undefined) q.where("task_id", f.taskId);
  if (f.partition !== undefined) q.where("partition", f.partition);
  if (f.status !== undefined) q.where("status", f.status);
  if (f.kind !== undefined) q.where("kind", f.kind);
  if (f.q !== undefined && f.q !== "") q.whereILike("error", `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.olderThan !== undefined) q.where("created_at", "<", f.olderThan);
  if (f.ids !== undefined) q.whereIn("id", [...f.ids]);
}

/** A page of letters newest first, with id < `beforeId`; asks for `limit + 1` so the caller knows whether there is more. */
export async function searchDeadLetters(db: Db, filter: DeadLetterSearch, limit: number, beforeId?: number): Promise<DeadLetter[]> {
  const query = db<DeadLetterRow>("dead_letters").select("*").orderBy("id", "desc").limit(limit + 1);
  applySearch(query, filter);
  if (beforeId !== undefined) query.where("id", "<", beforeId);
  return ((await query) as DeadLetterRow[]).map(toDeadLetter);
}

/** Ids of every letter matching `filter` (bulk actions), oldest first, at most `max`. */
export async function deadLetterIds(db: Db, filter: DeadLetterSearch, max: number): Promise<number[]> {
  const query = db("dead_letters").select("id").orderBy("id").limit(max);
  applySearch(query, filter);
  return ((await query) as Array<{ id: number }>).map((r) => Number(r.id));
}

/** Counts per DAG, task, kind and status. */
export async function countDeadLetters(db: Db, status?: DeadLetterStatus): Promise<Array<{ dagId: string; taskId: string; kind: DeadLetterKind; status: DeadLetterStatus; count: number }>> {
  const q = db("dead_letters").select("dag_id", "task_id", "kind", "status").count<Array<{ dag_id: string; task_id: string; kind: DeadLetterKind; status: DeadLetterStatus; count: string }>>("* as count").groupBy("dag_id", "task_id", "kind", "status").orderBy(["dag_id", "task_id", "kind", "status"]);
  if (status !== undefined) q.where("status", status);
  return (await q).map((r) => ({ dagId: r.dag_id, taskId: r.task_id, kind: r.kind, status: r.status, count: Number(r.count) }));
}

/** The most common error texts among letters (of `status`, or all), most frequent first. */
export async function countDeadLettersByError(db: Db, status: DeadLetterStatus | undefined, limit = 20): Promise<Array<{ kind: DeadLetterKind; error: string; count: number }>> {
  const q = db("dead_letters").select("kind", "error").count<Array<{ kind: DeadLetterKind; error: string; count: string }>>("* as count").groupBy("kind", "error").orderBy([{ column: "count", order: "desc" }, "error"]).limit(limit);
  if (status !== undefined) q.where("status", status);
  return (await q).map((r) => ({ kind: r.kind, error: r.error, count: Number(r.count) }));
}

/** Open letters per DAG (the /metrics gauge). */
export async function countOpenByDag(db: Db): Promise<Map<string, number>> {
  const rows = (await db("dead_letters").select("dag_id").count("* as n").where("status", "open").groupBy("dag_id")) as Array<{ dag_id: string; n: string }>;
  return new Map(rows.map((r) => [r.dag_id, Number(r.n)]));
}

export async function getDeadLetter(db: Db, id: number): Promise<DeadLetter | undefined> {
  const row = (await db("dead_letters").where({ id }).first()) as DeadLetterRow | undefined;
  return row ? toDeadLetter(row) : undefined;
}

export async function deadLetterHistory(db: Db, id: number): Promise<DeadLetterHistoryEntry[]> {
  const rows = (await db("dead_letter_history").where({ dead_letter_id: id }).orderBy("id")) as Array<{ event: DeadLetterEvent; actor: string; details: unknown; created_at: Date }>;
  return rows.map((r) => ({ event: r.event, actor: r.actor, details: r.details, at: r.created_at }));
}

/** Appends one history row; always called with the transaction that changes the letter, so a reader never sees one without the other. */
async function addHistory(db: Db | Knex.Transaction, id: number, event: DeadLetterEvent, actor: string, details?: unknown): Promise<void> {
  await db("dead_letter_history").insert({ dead_letter_id: id, event, actor, details: details === undefined ? null : toJsonText(details) });
}

/** Replaces an OPEN record letter's payload (fenced on status). @returns whether it won; the old payload goes to the history. */
export async function editDeadLetterPayload(db: Db, id: number, payload: unknown, actor: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const old = (await trx("dead_letters").select("payload").where({ id, status: "open", kind: "record" }).forUpdate().first()) as { payload: unknown } | undefined;
    if (!old) return false;
    await trx("dead_letters").where({ id }).update({ payload: toJsonText(payload), updated_at: trx.fn.now() });
    await addHistory(trx, id, DeadLetterEvent.edited, actor, { before: old.payload });
    return true;
  });
}

/** open -> replay_pending (fenced). @returns whether it won. */
export async function markReplayPending(db: Db, id: number, actor: string, details?: unknown): Promise<boolean> {
  return db.transaction(async (trx) => {
    const n = await trx("dead_letters").where({ id, status: "open" }).update({ status: "replay_pending", updated_at: trx.fn.now() });
    if (n === 0) return false;
    await addHistory(trx, id, DeadLetterEvent.replay_requested, actor, details);
    return true;
  });
}

/** open/replay_pending -> discarded with a reason (fenced). @returns whether it won. */
export async function discardDeadLetter(db: Db, id: number, actor: string, reason: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const n = await trx("dead_letters").where({ id }).whereIn("status", ["open", "replay_pending"]).update({ status: "discarded", updated_at: trx.fn.now() });
    if (n === 0) return false;
    await addHistory(trx, id, DeadLetterEvent.discarded, actor, { reason });
    return true;
  });
}

/** The replay_pending record letters of one task and partition (read by ctx.validate on a rerun). */
export async function pendingReplays(db: Db, dagId: string, taskId: string, partition: string): Promise<DeadLetter[]> {
  const rows = (await db("dead_letters").where({ dag_id: dagId, task_id: taskId, partition, status: "replay_pending", kind: "record" }).orderBy("id")) as DeadLetterRow[];
  return rows.map(toDeadLetter);
}

/** Record keys of the discarded letters of one task and partition. */
export async function discardedKeys(db: Db, dagId: string, taskId: string, partition: string): Promise<Set<string>> {
  const rows = (await db("dead_letters").select("record_key").where({ dag_id: dagId, task_id: taskId, partition, status: "discarded", kind: "record" }).whereNotNull("record_key")) as Array<{ record_key: string }>;
  return new Set(rows.map((r) => r.record_key));
}

/** A replayed letter the rerun accepted: replay_pending -> replayed (fenced), with its history row in the same transaction. */
export async function markReplayed(db: Db, id: number, details: unknown): Promise<void> {
  await db.transaction(async (trx) => {
    const n = await trx("dead_letters").where({ id, status: "replay_pending" }).update({ status: "replayed", updated_at: trx.fn.now() });
    if (n > 0) await addHistory(trx, id, DeadLetterEvent.replayed, "task", details);
  });
}

/** A replayed letter the rerun rejected again: back to open with attempts + 1 and the new error, with its history row in the same transaction. */
export async function requeueReplay(db: Db, id: number, error: string, issues: unknown, details: unknown): Promise<void> {
  await db.transaction(async (trx) => {
    const n = await trx("dead_letters")
      .where({ id, status: "replay_pending" })
      .update({ status: "open", error, issues: toJsonText(issues), attempts: trx.raw("attempts + 1"), updated_at: trx.fn.now() });
    if (n > 0) await addHistory(trx, id, DeadLetterEvent.requeued, "task", details);
  });
}
