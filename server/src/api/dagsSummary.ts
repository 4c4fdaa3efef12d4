import { describeDagSchedule, nextInterval } from "../schedule/index";
import type { DagRegistry } from "../dags/dagRegistry";
import type { Db } from "../store/db";
import type { RunState } from "../model/states";
import type { DagListResponse, DagSummary } from "./contract";

/** How many recent runs each DAG summary carries. */
export const RECENT_RUNS = 10;

interface SummaryRow {
  dag_id: string;
  schedule: string | null;
  schedule_datasets: string[] | null;
  is_paused: boolean;
  tags: string[];
  last_scheduled: Date | null;
  recent: { run_id: string; state: RunState; logical_date: string }[];
}

/**
 * One statement for the DAGs (active ones, or just `dagId`): each with its newest runs (one
 * index range per DAG on (dag_id, logical_date DESC, id DESC)) and the logical date of its newest
 * scheduled run (what the next run follows, as the scheduler computes it).
 */
async function summaries(db: Db, registry: DagRegistry, dagId?: string): Promise<DagSummary[]> {
  const rows = (
    await db.raw<{ rows: SummaryRow[] }>(
      `SELECT d.dag_id, d.schedule, d.schedule_datasets, d.is_paused, d.tags,
              (SELECT max(s.logical_date) FROM dag_runs s WHERE s.dag_id = d.dag_id AND s.run_type = 'scheduled') AS last_scheduled,
              COALESCE((SELECT json_agg(json_build_object('run_id', r.run_id, 'state', r.state, 'logical_date', r.logical_date) ORDER BY r.logical_date DESC, r.id DESC)
                        FROM (SELECT id, run_id, state, logical_date FROM dag_runs WHERE dag_id = d.dag_id ORDER BY logical_date DESC, id DESC LIMIT ?) r), '[]') AS recent
       FROM dags d WHERE ${dagId === undefined ? "d.is_active" : "d.dag_id = ?"} ORDER BY d.dag_id`,
      dagId === undefined ? [RECENT_RUNS] : [RECENT_RUNS, dagId],
    )
  ).rows;
  return rows.map((d) => {
    const loaded = registry.get(d.dag_id);
    const next = loaded ? nextInterval(loaded.schedule, d.last_scheduled) : null;
    return {
      dagId: d.dag_id,
      schedule: d.schedule,
      scheduleDatasets: d.schedule_datasets,
      scheduleDescription: describeDagSchedule(d.schedule, d.schedule_datasets),
      isPaused: d.is_paused,
      tags: d.tags,
      nextRunAt: next ? next.end.toISOString() : null,
      recentRuns: d.recent.map((r) => ({ runId: r.run_id, state: r.state, logicalDate: new Date(r.logical_date).toISOString() })),
    };
  });
}

/** GET /api/dags: every active DAG with its recent runs, and the import errors. */
export async function listDagSummaries(db: Db, registry: DagRegistry): Promise<DagListResponse> {
  const dags = await summaries(db, registry);
  const errors = await db("dag_import_errors").select("fileloc", "message", "created_at").orderBy("fileloc");
  return {
    dags,
    importErrors: errors.map((e: { fileloc: string; message: string; created_at: Date }) => ({ fileloc: e.fileloc, message: e.message, createdAt: e.created_at.toISOString() })),
  };
}

/** The summary of one DAG (active or not), or undefined: what GET /api/dags/:dagId shows of its runs. */
export async function getDagSummary(db: Db, registry: DagRegistry, dagId: string): Promise<DagSummary | undefined> {
  return (await summaries(db, registry, dagId))[0];
}
