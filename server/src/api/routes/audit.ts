import { Router } from "express";
import { z } from "zod";
import type { Runtime } from "../../runtime/runtime";
import { listAudit } from "../../store/audit";
import { requireRole } from "../auth/authenticate";
import { AuditQuerySchema, type AuditListResponse } from "../contract";
import { decodeCursor, encodeCursor, parseWith } from "../http";

const AuditCursorSchema = z.object({ i: z.number().int() });

/** `GET /api/audit` (admins only), newest first. */
export function auditRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/audit", requireRole("admin"), async (req, res) => {
    const q = parseWith(AuditQuerySchema, req.query, "query");
    const rows = await listAudit(rt.db, q.limit + 1, q.cursor ? decodeCursor(AuditCursorSchema, q.cursor).i : undefined);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const body: AuditListResponse = {
      entries: page.map((e) => ({ id: e.id, actor: e.actor, action: e.action, target: e.target, details: e.details ?? null, createdAt: e.created_at.toISOString() })),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ i: last.id }) : null,
    };
    res.json(body);
  });
  return r;
}
