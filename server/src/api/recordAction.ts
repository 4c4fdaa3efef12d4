import type { Response } from "express";
import type { Db } from "../store/db";
import { writeAudit } from "../store/audit";
import { principalOf } from "./auth/authenticate";

/** Writes the audit_log entry of an action by the request's principal. */
export async function recordAction(db: Db, res: Response, action: string, target: string | null, details?: unknown): Promise<void> {
  await writeAudit(db, { actor: principalOf(res).user.username, action, target, details });
}
