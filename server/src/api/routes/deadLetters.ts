import { Router, type Response } from "express";
import { z } from "zod";
import type { Runtime } from "../../runtime/runtime";
import {
  countDeadLetters,
  countDeadLettersByError,
  deadLetterHistory,
  deadLetterIds,
  editDeadLetterPayload,
  getDeadLetter,
  searchDeadLetters,
  type DeadLetterSearch,
} from "../../store/deadLetterActions";
import type { DeadLetter as StoredDeadLetter } from "../../store/deadLetters";
import { markTaskInstance } from "../../store/taskActions";
import { DeadLetterKind, DeadLetterStatus } from "../../model/states";
import { discardOneDeadLetter, replayDeadLetter, type DeadLetterActionResult as ActionResult } from "../../store/replayDeadLetter";
import { principalOf, requireRole } from "../auth/authenticate";
import {
  DeadLetterBulkRequestSchema,
  DeadLetterCountsQuerySchema,
  DeadLetterDiscardRequestSchema,
  DeadLetterEditRequestSchema,
  DeadLetterListQuerySchema,
  DeadLetterMarkSuccessRequestSchema,
  DeadLetterReplayRequestSchema,
  DeadLetterValidateRequestSchema,
  type DeadLetter,
  type DeadLetterActionResponse,
  type DeadLetterDetail,
  type DeadLetterFilter,
  type DeadLetterListResponse,
  type DeadLetterValidateResponse,
} from "../contract";
import { checkPayload } from "../payloadSchemaCheck";
import { decodeCursor, encodeCursor, HttpError, idParam, parseWith } from "../http";
import { recordAction } from "../recordAction";

const BULK_MAX = 1000;
const CursorSchema = z.object({ i: z.number().int().positive() });

function present(d: StoredDeadLetter): DeadLetter {
  const { issues: _issues, schema: _schema, createdAt, updatedAt, ...rest } = d;
  return { ...rest, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}

function toSearch(f: DeadLetterFilter): DeadLetterSearch {
  const { olderThan, ...rest } = f;
  return { ...rest, olderThan: olderThan === undefined ? undefined : new Date(olderThan) };
}

async function mustGet(rt: Runtime, id: number): Promise<StoredDeadLetter> {
  const d = await getDeadLetter(rt.db, id);
  if (!d) throw new HttpError(404, "not_found", `no dead letter ${id}`);
  return d;
}

async function list(rt: Runtime, query: unknown): Promise<DeadLetterListResponse> {
  const q = parseWith(DeadLetterListQuerySchema, query, "query");
  const before = q.cursor ? decodeCursor(CursorSchema, q.cursor).i : undefined;
  const rows = await searchDeadLetters(rt.db, toSearch(q), q.limit, before);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { deadLetters: page.map(present), nextCursor: rows.length > q.limit && last ? encodeCursor({ i: last.id }) : null };
}

async function detail(rt: Runtime, id: number): Promise<DeadLetterDetail> {
  const d = await mustGet(rt, id);
  const history = await deadLetterHistory(rt.db, id);
  return { ...present(d), issues: d.issues, schema: d.schema, history: history.map((h) => ({ ...h, at: h.at.toISOString() })) };
}

async function edit(rt: Runtime, id: number, body: unknown, res: Response): Promise<DeadLetterDetail> {
  const req = parseWith(DeadLetterEditRequestSchema, body, "body");
  const d = await mustGet(rt, id);
  if (!(await editDeadLetterPayload(rt.db, id, req.payload, principalOf(res).user.username))) {
    throw new HttpError(409, "conflict", `dead letter ${id} is a ${d.kind} letter in status ${d.status}: only an open record letter can be edited`);
  }
  await recordAction(rt.db, res, "dead_letter.edit", `dead_letter:${id}`, { before: d.payload, after: req.payload });
  return detail(rt, id);
}

async function single(rt: Runtime, id: number, action: "replay" | "retry" | "discard", body: unknown, res: Response): Promise<DeadLetterActionResponse> {
  const d = await mustGet(rt, id);
  if (action === "retry" && d.kind !== DeadLetterKind.task) throw new HttpError(409, "conflict", `dead letter ${id} is a ${d.kind} letter: replay it instead`);
  const actor = principalOf(res).user.username;
  let result: ActionResult;
  let dryRun = false;
  let details: Record<string, unknown>;
  if (action === "replay" || action === "retry") {
    dryRun = parseWith(DeadLetterReplayRequestSchema, body, "body").dryRun;
    result = await replayDeadLetter(rt.db, d, dryRun, actor, rt.dispatch);
    details = { cleared: result.cleared.map((c) => c.taskId) };
  } else {
    const { reason } = parseWith(DeadLetterDiscardRequestSchema, body, "body");
    result = await discardOneDeadLetter(rt.db, d, reason, false, actor);
    details = { reason };
  }
  if (!result.ok) throw new HttpError(409, "conflict", result.message ?? "conflict");
  if (!dryRun) await recordAction(rt.db, res, `dead_letter.${action}`, `dead_letter:${id}`, details);
  return { dryRun, results: [result] };
}

/** Checks a candidate payload against the letter's stored JSON Schema (nothing is saved). */
async function validate(rt: Runtime, id: number, body: unknown): Promise<DeadLetterValidateResponse> {
  const { payload } = parseWith(DeadLetterValidateRequestSchema, body, "body");
  const d = await mustGet(rt, id);
  return checkPayload(d.schema, payload);
}

/**
 * Marks a task letter's failed task instance success (the mark code, with downstream judged); the
 * database trigger then settles the letter as `resolved` with this actor in its history.
 */
async function markSuccess(rt: Runtime, id: number, body: unknown, res: Response): Promise<DeadLetterActionResponse> {
  const { dryRun } = parseWith(DeadLetterMarkSuccessRequestSchema, body, "body");
  const d = await mustGet(rt, id);
  if (d.kind !== DeadLetterKind.task || d.status !== DeadLetterStatus.open) {
    throw new HttpError(409, "conflict", `dead letter ${id} is a ${d.kind} letter in status ${d.status}: only an open task letter can be marked success`);
  }
  if (d.taskInstanceId === null) throw new HttpError(409, "conflict", `dead letter ${id} has no task instance left`);
  const actor = principalOf(res).user.username;
  const result = await markTaskInstance(rt.db, d.taskInstanceId, "success", dryRun, rt.dispatch, actor);
  if (result.marked.length === 0) throw new HttpError(409, "conflict", `task instance ${d.taskInstanceId} cannot be marked success now (queued, running or already success)`);
  if (!dryRun) {
    await rt.dispatch.dispatch(result);
    await recordAction(rt.db, res, "dead_letter.mark_success", `dead_letter:${id}`, { taskInstanceId: d.taskInstanceId });
  }
  return { dryRun, results: [{ id, ok: true, message: null, cleared: result.marked }] };
}

async function bulk(rt: Runtime, body: unknown, res: Response): Promise<DeadLetterActionResponse> {
  const req = parseWith(DeadLetterBulkRequestSchema, body, "body");
  const actor = principalOf(res).user.username;
  const ids = await deadLetterIds(rt.db, { ...toSearch(req.filter), ids: req.ids }, BULK_MAX);
  const results: ActionResult[] = [];
  for (const id of ids) {
    const d = await getDeadLetter(rt.db, id);
    if (!d) continue;
    results.push(req.action === "replay" ? await replayDeadLetter(rt.db, d, req.dryRun, actor, rt.dispatch) : await discardOneDeadLetter(rt.db, d, req.reason ?? "", req.dryRun, actor));
  }
  if (!req.dryRun) {
    await recordAction(rt.db, res, `dead_letter.bulk_${req.action}`, null, { filter: req.filter, reason: req.reason, ids: results.filter((r) => r.ok).map((r) => r.id) });
  }
  return { dryRun: req.dryRun, results };
}

/**
 * `/api/dead-letters/*` (mounted after `authenticate`): reads (and payload validation) for viewers,
 * actions for operators (audited). Record letters: edit, replay, discard. Task letters: retry
 * (= replay: clear the task instance with downstream), mark-success, discard (dismiss).
 */
export function deadLettersRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/dead-letters", async (req, res) => void res.json(await list(rt, req.query)));
  r.get("/dead-letters/counts", async (req, res) => {
    const q = parseWith(DeadLetterCountsQuerySchema, req.query, "query");
    const status = q.status === "all" ? undefined : q.status;
    const [counts, errors] = await Promise.all([countDeadLetters(rt.db, status), countDeadLettersByError(rt.db, status)]);
    res.json({ counts, errors });
  });
  r.post("/dead-letters/bulk", requireRole("operator"), async (req, res) => void res.json(await bulk(rt, req.body, res)));
  r.get("/dead-letters/:id", async (req, res) => void res.json(await detail(rt, idParam(req, "id"))));
  r.patch("/dead-letters/:id", requireRole("operator"), async (req, res) => void res.json(await edit(rt, idParam(req, "id"), req.body, res)));
  r.post("/dead-letters/:id/replay", requireRole("operator"), async (req, res) => void res.json(await single(rt, idParam(req, "id"), "replay", req.body, res)));
  r.post("/dead-letters/:id/discard", requireRole("operator"), async (req, res) => void res.json(await single(rt, idParam(req, "id"), "discard", req.body, res)));
  r.post("/dead-letters/:id/retry", requireRole("operator"), async (req, res) => void res.json(await single(rt, idParam(req, "id"), "retry", req.body, res)));
  r.post("/dead-letters/:id/mark-success", requireRole("operator"), async (req, res) => void res.json(await markSuccess(rt, idParam(req, "id"), req.body, res)));
  // A check, not a change: viewers may use it too.
  r.post("/dead-letters/:id/validate", async (req, res) => void res.json(await validate(rt, idParam(req, "id"), req.body)));
  return r;
}
