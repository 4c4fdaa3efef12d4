import type { Db } from "./db";

/** One audit_log entry to write. `details` is stored as JSON. */
export interface AuditRecord {
  actor: string;
  action: string;
  target?: string | null;
  details?: unknown;
}

/** An audit_log row. */
export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
  created_at: Date;
}

/** Appends one entry to the audit log. */
export async function writeAudit(db: Db, rec: AuditRecord): Promise<void> {
  await db("audit_log").insert({ actor: rec.actor, action: rec.action, target: rec.target ?? null, details: rec.details === undefined ? null : JSON.stringify(rec.details) });
}

/** Entries newest first, with id < `beforeId` (keyset paging). */
export async function listAudit(db: Db, limit: number, beforeId?: number): Promise<AuditRow[]> {
  const q = db<AuditRow>("audit_log").select("*").orderBy("id", "desc").limit(limit);
  if (beforeId !== undefined) q.where("id", "<", beforeId);
  return q;
}
