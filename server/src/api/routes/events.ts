import { Router, type Request, type Response } from "express";
import type { Runtime } from "../../runtime/runtime";
import { changesSince } from "../../store/runQueries";
import { EventsQuerySchema, SSE_EVENTS, type RunEvent, type TaskEvent } from "../contract";
import { parseWith } from "../http";
import { openPollingSse } from "../sse";

/**
 * Rows committed late can carry an `updated_at` older than the last poll (a transaction's
 * clock runs from its statement, not its commit), so each poll looks back this far and
 * drops what it already sent.
 */
const LOOKBACK_MS = 5_000;

async function streamEvents(rt: Runtime, req: Request, res: Response): Promise<void> {
  const q = parseWith(EventsQuerySchema, req.query, "query");
  let since = (await changesSince(rt.db, new Date(8.64e15), 1)).now;
  const sent = new Map<string, { sig: string; at: number }>();
  const fresh = (key: string, sig: string, at: number): boolean => {
    if (sent.get(key)?.sig === sig) return false;
    sent.set(key, { sig, at });
    return true;
  };
  openPollingSse(
    req,
    res,
    500,
    async (stream) => {
      const { runs, tasks, now } = await changesSince(rt.db, new Date(since.getTime() - LOOKBACK_MS));
      for (const r of runs) {
        if ((q.dagId && r.dag_id !== q.dagId) || (q.dagRunId && r.id !== q.dagRunId)) continue;
        const event: RunEvent = { dagRunId: r.id, dagId: r.dag_id, runId: r.run_id, state: r.state };
        // A missed deadline (no state change) is news too: the grid marks it.
        if (fresh(`r${r.id}`, `${r.state}:${r.deadline_missed_at ? 1 : 0}`, r.updated_at.getTime())) stream.send(SSE_EVENTS.run, event);
      }
      for (const t of tasks) {
        if ((q.dagId && t.dag_id !== q.dagId) || (q.dagRunId && t.dag_run_id !== q.dagRunId)) continue;
        const event: TaskEvent = { id: t.id, dagRunId: t.dag_run_id, dagId: t.dag_id, taskId: t.task_id, state: t.state, tryNumber: t.try_number };
        if (fresh(`t${t.id}`, `${t.state}:${t.try_number}:${t.deadline_missed_at ? 1 : 0}`, t.updated_at.getTime())) stream.send(SSE_EVENTS.task, event);
      }
      since = now;
      const horizon = now.getTime() - 2 * LOOKBACK_MS;
      for (const [key, v] of sent) if (v.at < horizon) sent.delete(key);
    },
    (err) => rt.log.warn({ err }, "event stream poll failed"),
  );
}

/** `GET /api/events`: run and task state changes as SSE (`event: run` / `event: task`). */
export function eventsRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/events", (req, res) => streamEvents(rt, req, res));
  return r;
}
