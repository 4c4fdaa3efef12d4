import { Router } from "express";
import type { Runtime } from "../../runtime/runtime";
import { checkResultsOfRun } from "../../store/checks";
import { getRun } from "../../store/runs";
import type { RunChecksResponse } from "../contract";
import { HttpError, idParam } from "../http";

async function runChecks(rt: Runtime, dagRunId: number): Promise<RunChecksResponse> {
  if (!(await getRun(rt.db, dagRunId))) throw new HttpError(404, "not_found", `no run ${dagRunId}`);
  const rows = await checkResultsOfRun(rt.db, dagRunId);
  return {
    dagRunId,
    checks: rows.map(({ dagId: _dag, dagRunId: _run, ...r }) => ({ ...r, checkedAt: r.checkedAt.toISOString() })),
  };
}

/** `GET /api/runs/:dagRunId/checks` (mounted after `authenticate`): the run's data-quality results, for viewers. */
export function runChecksRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/runs/:dagRunId/checks", async (req, res) => void res.json(await runChecks(rt, idParam(req, "dagRunId"))));
  return r;
}
