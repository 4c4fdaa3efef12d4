import { Router, type Response } from "express";
import { z } from "zod";
import type { Runtime } from "../../runtime/runtime";
import { describeDagSchedule, parseDateInZone } from "../../schedule/index";
import type { DagRegistry } from "../../dags/dagRegistry";
import { manualRunDates, triggerRun, type ManualRunDates } from "../../scheduler/triggerRun";
import { getDagRow, getDagVersion, listDagVersions, listImportErrors, setDagPaused } from "../../store/dags";
import { gridCells, listRunsPage } from "../../store/runQueries";
import { requireRole } from "../auth/authenticate";
import {
  DagDetailQuerySchema,
  GridQuerySchema,
  TriggerIntervalQuerySchema,
  TriggerRequestSchema,
  type DagDetail,
  type GridResponse,
  type GridRun,
  type ImportErrorListResponse,
  type PauseResponse,
  type ManualRunDates as ManualRunDatesBody,
  type TriggerIntervalResponse,
  type TriggerResponse,
} from "../contract";
import { getDagSummary, listDagSummaries } from "../dagsSummary";
import { decodeCursor, encodeCursor, HttpError, parseWith, strParam } from "../http";
import { deadlineMiss, presentGraph } from "../present";
import { recordAction } from "../recordAction";

/** Keyset position of a run in newest-first order. */
export const RunCursorSchema = z.object({ d: z.string().refine((d) => !Number.isNaN(Date.parse(d))), i: z.number().int() });
export const toRunKey = (c: z.infer<typeof RunCursorSchema>) => ({ logicalDate: new Date(c.d), id: c.i });

async function dagDetail(rt: Runtime, dagId: string, versionId: number | undefined): Promise<DagDetail> {
  const row = await getDagRow(rt.db, dagId);
  if (!row) throw new HttpError(404, "not_found", `no DAG "${dagId}"`);
  const id = versionId ?? row.latestVersionId;
  const version = id === null ? undefined : await getDagVersion(rt.db, id);
  if (!version || version.dagId !== dagId) throw new HttpError(404, "not_found", `no version ${String(id)} of DAG "${dagId}"`);
  const [summary, versions] = await Promise.all([getDagSummary(rt.db, rt.registry, dagId), listDagVersions(rt.db, dagId)]);
  return {
    dagId,
    schedule: row.schedule,
    scheduleDatasets: row.scheduleDatasets,
    scheduleDescription: describeDagSchedule(row.schedule, row.scheduleDatasets),
    isPaused: row.isPaused,
    nextRunAt: summary?.nextRunAt ?? null,
    recentRuns: summary?.recentRuns ?? [],
    tags: row.tags,
    fileloc: row.fileloc,
    description: row.description,
    timezone: row.timezone,
    isActive: row.isActive,
    maxActiveRuns: version.graph.maxActiveRuns,
    versionId: version.id,
    graph: presentGraph(version.graph),
    paramsSchema: (version.graph.paramsSchema as Record<string, unknown> | null) ?? null,
    source: version.source,
    versions: versions.map((v) => ({ versionId: v.id, versionHash: v.versionHash, fileloc: v.fileloc, createdAt: v.createdAt.toISOString() })),
  };
}

async function grid(rt: Runtime, dagId: string, query: unknown): Promise<GridResponse> {
  const q = parseWith(GridQuerySchema, query, "query");
  const after = q.cursor ? toRunKey(decodeCursor(RunCursorSchema, q.cursor)) : undefined;
  const [row, runs] = await Promise.all([getDagRow(rt.db, dagId), listRunsPage(rt.db, { dagId }, q.limit, after)]);
  if (!row) throw new HttpError(404, "not_found", `no DAG "${dagId}"`);
  const version = row.latestVersionId === null ? undefined : await getDagVersion(rt.db, row.latestVersionId);
  const page = runs.slice(0, q.limit);
  const byRun = new Map<number, GridRun>(
    page.map((r) => {
      const missed = deadlineMiss(r);
      return [r.id, { runId: r.run_id, dagRunId: r.id, state: r.state, runType: r.run_type, logicalDate: r.logical_date.toISOString(), ...(missed ? { missedDeadline: missed } : {}), cells: {} }];
    }),
  );
  for (const c of await gridCells(rt.db, page.map((r) => r.id))) {
    const run = byRun.get(c.dag_run_id);
    const missed = deadlineMiss(c);
    if (run) run.cells[c.task_id] = { state: c.state, tryNumber: c.try_number, tiId: c.id, ...(missed ? { missedDeadline: missed } : {}) };
  }
  const last = page[page.length - 1];
  return {
    tasks: (version?.graph.tasks ?? []).map((t) => ({ taskId: t.id, upstream: t.upstream })),
    runs: [...byRun.values()],
    nextCursor: runs.length > q.limit && last ? encodeCursor({ d: last.logical_date.toISOString(), i: last.id }) : null,
  };
}

function loadedDag(registry: DagRegistry, dagId: string) {
  const loaded = registry.get(dagId);
  const versionId = registry.versionId(dagId);
  if (!loaded || versionId === undefined) throw new HttpError(404, "not_found", `no DAG "${dagId}"`);
  return { loaded, versionId };
}

function parseLogicalDate(text: string | undefined, timezone: string): Date | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDateInZone(text, timezone, "logicalDate");
  } catch (err) {
    throw new HttpError(400, "invalid_request", (err as Error).message);
  }
}

const presentDates = (d: ManualRunDates): ManualRunDatesBody => ({
  logicalDate: d.logicalDate.toISOString(),
  dataIntervalStart: d.interval.start.toISOString(),
  dataIntervalEnd: d.interval.end.toISOString(),
  inferred: d.inferred,
});

async function trigger(rt: Runtime, dagId: string, body: unknown, res: Response): Promise<TriggerResponse> {
  const req = parseWith(TriggerRequestSchema, body, "body");
  const { loaded, versionId } = loadedDag(rt.registry, dagId);
  const logicalDate = parseLogicalDate(req.logicalDate, loaded.serialized.timezone);
  const run = await triggerRun(rt.db, loaded, versionId, { conf: req.conf ?? {}, logicalDate });
  await recordAction(rt.db, res, "trigger", `dag:${dagId}`, { runId: run.runId, dagRunId: run.dagRunId, conf: req.conf ?? {}, logicalDate: req.logicalDate ?? null });
  return { dagId, runId: run.runId, dagRunId: run.dagRunId, ...presentDates(run) };
}

/** What a trigger would cover now (the dialog shows it); creates nothing. */
function triggerInterval(rt: Runtime, dagId: string, query: unknown): TriggerIntervalResponse {
  const q = parseWith(TriggerIntervalQuerySchema, query, "query");
  const { loaded } = loadedDag(rt.registry, dagId);
  const logicalDate = parseLogicalDate(q.logicalDate, loaded.serialized.timezone);
  // A TriggerError (an invalid date) is answered 400 by the error handler.
  return { dagId, ...presentDates(manualRunDates(loaded.schedule, logicalDate, new Date())) };
}

async function pause(rt: Runtime, dagId: string, paused: boolean, res: Response): Promise<PauseResponse> {
  if (!(await setDagPaused(rt.db, dagId, paused))) throw new HttpError(404, "not_found", `no DAG "${dagId}"`);
  await recordAction(rt.db, res, paused ? "pause" : "unpause", `dag:${dagId}`);
  return { dagId, isPaused: paused };
}

/** `/api/dags/*` and `/api/import-errors` (mounted after `authenticate`). */
export function dagsRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/dags", async (_req, res) => void res.json(await listDagSummaries(rt.db, rt.registry)));
  r.get("/import-errors", async (_req, res) => {
    const body: ImportErrorListResponse = { importErrors: (await listImportErrors(rt.db)).map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })) };
    res.json(body);
  });
  r.get("/dags/:dagId", async (req, res) => void res.json(await dagDetail(rt, strParam(req, "dagId"), parseWith(DagDetailQuerySchema, req.query, "query").versionId)));
  r.get("/dags/:dagId/grid", async (req, res) => void res.json(await grid(rt, strParam(req, "dagId"), req.query)));
  r.get("/dags/:dagId/trigger-interval", (req, res) => void res.json(triggerInterval(rt, strParam(req, "dagId"), req.query)));
  r.post("/dags/:dagId/trigger", requireRole("operator"), async (req, res) => void res.status(201).json(await trigger(rt, strParam(req, "dagId"), req.body, res)));
  r.post("/dags/:dagId/pause", requireRole("operator"), async (req, res) => void res.json(await pause(rt, strParam(req, "dagId"), true, res)));
  r.post("/dags/:dagId/unpause", requireRole("operator"), async (req, res) => void res.json(await pause(rt, strParam(req, "dagId"), false, res)));
  return r;
}
