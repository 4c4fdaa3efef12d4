import type { Db } from "./db";

/** A task's declared `inputs`/`outputs` (dataset URIs as written in the DAG file). */
export interface DeclaredTask {
  dagId: string;
  taskId: string;
  inputs: string[];
  outputs: string[];
}

/** What the current version of a DAG declares about datasets. */
export interface DeclaredDag {
  dagId: string;
  tasks: DeclaredTask[];
  /** `schedule: { datasets }`: the datasets whose writes trigger the DAG (empty for cron/manual). */
  scheduleDatasets: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string" && s !== "") : []);

/**
 * Reads the lineage declarations out of a stored graph. Defensive: graphs of older versions (or a
 * schedule form added later) may lack fields, and a malformed part is skipped, never fatal.
 */
export function declaredLineageOf(dagId: string, graph: unknown): DeclaredDag {
  const g = isRecord(graph) ? graph : {};
  const tasks = (Array.isArray(g.tasks) ? g.tasks : []).flatMap((t): DeclaredTask[] =>
    isRecord(t) && typeof t.id === "string" ? [{ dagId, taskId: t.id, inputs: strings(t.inputs), outputs: strings(t.outputs) }] : [],
  );
  const scheduleDatasets = isRecord(g.schedule) ? strings(g.schedule.datasets) : [];
  return { dagId, tasks, scheduleDatasets };
}

/** The declarations of the latest stored version of every active DAG (the graph the API shows), by DAG id. */
export async function loadDeclaredLineage(db: Db): Promise<DeclaredDag[]> {
  const rows = await db("dags as d")
    .join("dag_versions as v", "v.id", "d.latest_version_id")
    .where("d.is_active", true)
    .orderBy("d.dag_id")
    .select<Array<{ dag_id: string; graph: unknown }>>("d.dag_id", "v.graph");
  return rows.map((r) => declaredLineageOf(r.dag_id, r.graph));
}
