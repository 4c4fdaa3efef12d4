import { describeSchedule, nextInterval } from "../schedule/index";
import type { DagRegistry } from "../dags/dagRegistry";
import type { Db } from "../store/db";
import type { RunState } from "../sdk/states";
import type { DagListResponse } from "./contract";

/** GET /api/dags: every active DAG with its recent runs, and the import errors. */
export async function listDagSummaries(db: Db, registry: DagRegistry): Promise<DagListResponse> {
  const dags = await db("dags").select("dag_id", "schedule", "is_paused", "tags").where({ is_active: true }).orderBy("dag_id");
  const runs = (
    await db.raw<{ rows: { dag_id: string; run_id: string; state: RunState; logical_date: Date }[] }>(
      `SELECT r.dag_id, r.run_id, r.state, r.logical_date FROM dags d
       CROSS JOIN LATERAL (SELECT dag_id, run_id, state, logical_date FROM dag_runs WHERE dag_id = d.dag_id ORDER BY logical_date DESC, id DESC LIMIT 10) r
       WHERE d.is_active`,
    )
  ).rows;
  const errors = await db("dag_import_errors").select("fileloc", "message", "created_at").orderBy("fileloc");
  return {
    dags: dags.map((d: { dag_id: string; schedule: string | null; is_paused: boolean; tags: string[] }) => {
      const loaded = registry.get(d.dag_id);
      const last = runs.find((r) => r.dag_id === d.dag_id && r.run_id.startsWith("scheduled__"))?.logical_date ?? null;
      const next = loaded ? nextInterval(loaded.schedule, last) : null;
      return {
        dagId: d.dag_id,
        schedule: d.schedule,
        scheduleDescription: describeSchedule(d.schedule),
        isPaused: d.is_paused,
        tags: d.tags,
        nextRunAt: next ? next.end.toISOString() : null,
        recentRuns: runs.filter((r) => r.dag_id === d.dag_id).map((r) => ({ runId: r.run_id, state: r.state, logicalDate: r.logical_date.toISOString() })),
      };
    }),
    importErrors: errors.map((e: { fileloc: string; message: string; created_at: Date }) => ({ fileloc: e.fileloc, message: e.message, createdAt: e.created_at.toISOString() })),
  };
}
