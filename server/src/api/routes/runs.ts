import { Router, type Response } from "express";
import type { Runtime } from "../../runtime/runtime";
import { parseDateInZone } from "../../schedule/index";
import { listRunsPage } from "../../store/runQueries";
import { getRun, type RunRow } from "../../store/runs";
import { cancelRun, clearTaskInstances } from "../../store/taskActions";
import { listTaskInstances } from "../../store/taskInstances";
import { requireRole } from "../auth/authenticate";
import { ClearRequestSchema, RunListQuerySchema, type CancelResponse, type ClearResponse, type RunDetail, type RunListResponse } from "../contract";
import { decodeCursor, encodeCursor, HttpError, idParam, parseWith } from "../http";
import { presentRun, presentTaskInstance } from "../present";
import { recordAction } from "../recordAction";
import { RunCursorSchema, toRunKey } from "./dags";

type TiWithGraph = Parameters<typeof presentTaskInstance>[0];

function dateParam(text: string | undefined, what: string): Date | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDateInZone(text, "UTC", what);
  } catch (err) {
    throw new HttpError(400, "invalid_request", (err as Error).message);
  }
}

async function listRuns(rt: Runtime, query: unknown): Promise<RunListResponse> {
  const q = parseWith(RunListQuerySchema, query, "query");
  const filter = { dagId: q.dagId, state: q.state, runType: q.runType, from: dateParam(q.from, "from"), to: dateParam(q.to, "to") };
  const rows = await listRunsPage(rt.db, filter, q.limit, q.cursor ? toRunKey(decodeCursor(RunCursorSchema, q.cursor)) : undefined);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { runs: page.map(presentRun), nextCursor: rows.length > q.limit && last ? encodeCursor({ d: last.logical_date.toISOString(), i: last.id }) : null };
}

async function mustGetRun(rt: Runtime, dagRunId: number): Promise<RunRow> {
  const run = await getRun(rt.db, dagRunId);
  if (!run) throw new HttpError(404, "not_found", `no run ${dagRunId}`);
  return run;
}

async function runDetail(rt: Runtime, dagRunId: number): Promise<RunDetail> {
  const run = await mustGetRun(rt, dagRunId);
  const tis = (await listTaskInstances(rt.db, dagRunId)) as TiWithGraph[];
  return { ...presentRun(run), conf: run.conf, taskInstances: tis.map(presentTaskInstance) };
}

async function clear(rt: Runtime, dagRunId: number, body: unknown, res: Response): Promise<ClearResponse> {
  const req = parseWith(ClearRequestSchema, body, "body");
  const run = await mustGetRun(rt, dagRunId);
  // A person's clear also stops and reruns running tries (Airflow's); reprocess/backfill/replay leave them.
  const result = await clearTaskInstances(rt.db, dagRunId, { ...req, stopRunning: true }, rt.dispatch);
  await rt.dispatch.dispatch(result);
  if (!req.dryRun) await recordAction(rt.db, res, "clear", `run:${run.dag_id}/${run.run_id}`, { ...req, cleared: result.cleared.map((c) => c.taskId) });
  return { dryRun: req.dryRun, cleared: result.cleared, skipped: result.skipped };
}

async function cancel(rt: Runtime, dagRunId: number, res: Response): Promise<CancelResponse> {
  const run = await mustGetRun(rt, dagRunId);
  const removed = await cancelRun(rt.db, dagRunId);
  await recordAction(rt.db, res, "cancel", `run:${run.dag_id}/${run.run_id}`, { removed: removed.map((t) => t.taskId) });
  return { dagRunId, state: "canceled", removed };
}

/** `/api/runs/*` (mounted after `authenticate`). */
export function runsRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/runs", async (req, res) => void res.json(await listRuns(rt, req.query)));
  r.get("/runs/:dagRunId", async (req, res) => void res.json(await runDetail(rt, idParam(req, "dagRunId"))));
  r.post("/runs/:dagRunId/clear", requireRole("operator"), async (req, res) => void res.json(await clear(rt, idParam(req, "dagRunId"), req.body, res)));
  r.post("/runs/:dagRunId/cancel", requireRole("operator"), async (req, res) => void res.json(await cancel(rt, idParam(req, "dagRunId"), res)));
  return r;
}
