import { Router, type Request, type Response } from "express";
import type { Runtime } from "../../runtime/runtime";
import { listAttempts } from "../../store/runQueries";
import { getRun } from "../../store/runs";
import { markTaskInstance } from "../../store/taskActions";
import { getTaskInstance } from "../../store/taskInstances";
import { readLogLines, type StoredLogLine } from "../../store/taskLogs";
import { principalOf, requireRole } from "../auth/authenticate";
import { LogQuerySchema, LogStreamQuerySchema, MarkRequestSchema, SSE_EVENTS, type LogLine, type LogPage, type MarkResponse, type TaskInstanceDetail } from "../contract";
import { HttpError, idParam, parseWith } from "../http";
import { presentAttempt, presentTaskInstance } from "../present";
import { recordAction } from "../recordAction";
import { openPollingSse } from "../sse";

const presentLine = (l: StoredLogLine): LogLine => ({ id: l.id, tryNumber: l.try_number, ts: l.ts.toISOString(), level: l.level, message: l.message });

async function mustGetTi(rt: Runtime, id: number) {
  const ti = await getTaskInstance(rt.db, id);
  if (!ti) throw new HttpError(404, "not_found", `no task instance ${id}`);
  return ti as Parameters<typeof presentTaskInstance>[0];
}

async function detail(rt: Runtime, id: number): Promise<TaskInstanceDetail> {
  const ti = await mustGetTi(rt, id);
  const run = await getRun(rt.db, ti.dag_run_id);
  const attempts = await listAttempts(rt.db, id);
  return { ...presentTaskInstance(ti), runId: run?.run_id ?? "", logicalDate: run?.logical_date.toISOString() ?? "", output: ti.output ?? null, attempts: attempts.map(presentAttempt) };
}

async function logs(rt: Runtime, id: number, query: unknown): Promise<LogPage> {
  const q = parseWith(LogQuerySchema, query, "query");
  await mustGetTi(rt, id);
  const rows = await readLogLines(rt.db, id, { tryNumber: q.try, afterId: q.afterId, limit: q.limit + 1 });
  const lines = rows.slice(0, q.limit).map(presentLine);
  return { lines, lastId: lines[lines.length - 1]?.id ?? q.afterId ?? null, hasMore: rows.length > q.limit };
}

async function streamLogs(rt: Runtime, id: number, req: Request, res: Response): Promise<void> {
  const q = parseWith(LogStreamQuerySchema, req.query, "query");
  await mustGetTi(rt, id);
  let afterId = q.afterId ?? 0;
  openPollingSse(
    req,
    res,
    500,
    async (stream) => {
      for (const line of await readLogLines(rt.db, id, { tryNumber: q.try, afterId, limit: 1000 })) {
        stream.send(SSE_EVENTS.log, presentLine(line), line.id);
        afterId = line.id;
      }
    },
    (err) => rt.log.warn({ err }, "log stream poll failed"),
  );
}

async function mark(rt: Runtime, id: number, body: unknown, res: Response): Promise<MarkResponse> {
  const req = parseWith(MarkRequestSchema, body, "body");
  const ti = await mustGetTi(rt, id);
  const result = await markTaskInstance(rt.db, id, req.state, req.dryRun, rt.dispatch, principalOf(res).user.username);
  await rt.dispatch.dispatch(result);
  if (!req.dryRun) await recordAction(rt.db, res, `mark_${req.state}`, `task:${ti.dag_id}/${ti.task_id}#${id}`, { marked: result.marked.length > 0 });
  return { dryRun: req.dryRun, marked: result.marked };
}

/** `/api/task-instances/*` (mounted after `authenticate`). */
export function taskInstancesRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/task-instances/:id", async (req, res) => void res.json(await detail(rt, idParam(req, "id"))));
  r.get("/task-instances/:id/logs", async (req, res) => void res.json(await logs(rt, idParam(req, "id"), req.query)));
  r.get("/task-instances/:id/logs/stream", (req, res) => streamLogs(rt, idParam(req, "id"), req, res));
  r.post("/task-instances/:id/mark", requireRole("operator"), async (req, res) => void res.json(await mark(rt, idParam(req, "id"), req.body, res)));
  return r;
}
