import { Router, type Response } from "express";
import type { Runtime } from "../../runtime/runtime";
import { cancelBackfill, pauseBackfill, summarizeBackfill } from "../../scheduler/backfillControl";
import { createBackfill, prepareBackfill } from "../../scheduler/createBackfill";
import { planToIso } from "../../scheduler/planBackfill";
import type { ClippedRange } from "../../schedule/index";
import { backfillDates, getBackfill, listBackfills, type BackfillDateRow, type BackfillRow } from "../../store/backfills";
import { principalOf, requireRole } from "../auth/authenticate";
import {
  BackfillListQuerySchema,
  BackfillRequestSchema,
  type Backfill,
  type BackfillCreateResponse,
  type BackfillDetail,
  type BackfillListResponse,
  type BackfillRange,
  type BackfillSpan,
} from "../contract";
import { HttpError, idParam, parseWith, strParam } from "../http";
import { recordAction } from "../recordAction";

/** A backfills row and its dates as the API shows it. */
export function presentBackfill(b: BackfillRow, dates: readonly BackfillDateRow[]): Backfill {
  return {
    id: Number(b.id),
    dagId: b.dag_id,
    from: b.from_date.toISOString(),
    to: b.to_date.toISOString(),
    reprocess: b.reprocess,
    maxActiveRuns: b.max_active_runs,
    order: b.run_order,
    conf: b.conf,
    state: b.state,
    createdBy: b.created_by,
    createdAt: b.created_at.toISOString(),
    completedAt: b.completed_at ? b.completed_at.toISOString() : null,
    progress: summarizeBackfill(dates, b.max_active_runs),
  };
}

function presentSpan(span: { from: Date; to: Date } | null): BackfillSpan | null {
  return span === null ? null : { from: span.from.toISOString(), to: span.to.toISOString() };
}

/** The requested range, the part backfilled and the parts outside the DAG's dates. */
export function presentRange(r: ClippedRange, backfilled: { from: Date; to: Date }): BackfillRange {
  return {
    requested: { from: r.requested.from.toISOString(), to: r.requested.to.toISOString() },
    backfilled: { from: backfilled.from.toISOString(), to: backfilled.to.toISOString() },
    beforeStartDate: presentSpan(r.beforeStartDate),
    afterEndDate: presentSpan(r.afterEndDate),
  };
}

async function detail(rt: Runtime, id: number): Promise<BackfillDetail> {
  const b = await getBackfill(rt.db, id);
  if (!b) throw new HttpError(404, "not_found", `no backfill ${id}`);
  const dates = await backfillDates(rt.db, id);
  return {
    ...presentBackfill(b, dates),
    dates: dates.map((d) => ({ logicalDate: d.logical_date.toISOString(), action: d.action, dagRunId: d.dag_run_id, runId: d.run_id, state: d.run_state })),
  };
}

async function create(rt: Runtime, dagId: string, body: unknown, res: Response): Promise<BackfillCreateResponse> {
  const req = parseWith(BackfillRequestSchema, body, "body");
  const loaded = rt.registry.get(dagId);
  if (!loaded || rt.registry.versionId(dagId) === undefined) throw new HttpError(404, "not_found", `no DAG "${dagId}"`);
  const input = { ...req, conf: req.conf ?? {}, createdBy: principalOf(res).user.username };
  if (req.dryRun) {
    const prepared = await prepareBackfill(rt.db, loaded, input, rt.config.backfillMaxRuns);
    return { dryRun: true, plan: planToIso(prepared.plan), range: presentRange(prepared.range, prepared), backfill: null };
  }
  const { id, plan, range, from, to } = await createBackfill(rt.db, loaded, input, rt.config.backfillMaxRuns);
  const presented = presentRange(range, { from, to });
  await recordAction(rt.db, res, "backfill", `dag:${dagId}`, { backfillId: id, from: req.from, to: req.to, backfilled: presented.backfilled, reprocess: req.reprocess, maxActiveRuns: req.maxActiveRuns, order: req.order, conf: input.conf });
  const { dates: _dates, ...backfill } = await detail(rt, id);
  return { dryRun: false, plan: planToIso(plan), range: presented, backfill };
}

async function list(rt: Runtime, query: unknown): Promise<BackfillListResponse> {
  const q = parseWith(BackfillListQuerySchema, query, "query");
  const rows = await listBackfills(rt.db, q.dagId, q.limit);
  return { backfills: await Promise.all(rows.map(async (b) => presentBackfill(b, await backfillDates(rt.db, Number(b.id))))) };
}

type Control = "cancel" | "pause" | "resume";

async function control(rt: Runtime, id: number, action: Control, res: Response): Promise<BackfillDetail> {
  const b = await getBackfill(rt.db, id);
  if (!b) throw new HttpError(404, "not_found", `no backfill ${id}`);
  let details: Record<string, unknown> = {};
  if (action === "cancel") {
    const canceled = await cancelBackfill(rt.db, id);
    if (canceled === null) throw new HttpError(409, "conflict", `backfill ${id} is ${b.state}: only a running or paused backfill can be canceled`);
    details = { canceledRuns: canceled };
  } else if (!(await pauseBackfill(rt.db, id, action === "pause"))) {
    throw new HttpError(409, "conflict", `backfill ${id} is ${b.state}: ${action === "pause" ? "only a running backfill can be paused" : "only a paused backfill can be resumed"}`);
  }
  await recordAction(rt.db, res, `backfill.${action}`, `backfill:${id}`, details);
  return detail(rt, id);
}

/** `/api/dags/:dagId/backfills` and `/api/backfills/*` (mounted after `authenticate`). */
export function backfillsRouter(rt: Runtime): Router {
  const r = Router();
  r.post("/dags/:dagId/backfills", requireRole("operator"), async (req, res) => {
    const body = await create(rt, strParam(req, "dagId"), req.body, res);
    res.status(body.dryRun ? 200 : 201).json(body);
  });
  r.get("/backfills", async (req, res) => void res.json(await list(rt, req.query)));
  r.get("/backfills/:id", async (req, res) => void res.json(await detail(rt, idParam(req, "id"))));
  for (const action of ["cancel", "pause", "resume"] as const) {
    r.post(`/backfills/:id/${action}`, requireRole("operator"), async (req, res) => void res.json(await control(rt, idParam(req, "id"), action, res)));
  }
  return r;
}
