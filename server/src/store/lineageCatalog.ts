import type { Db } from "./db";
import { loadDeclaredLineage } from "./declaredLineage";
import { toStoredWrite, WRITE_COLUMNS, WRITE_JOINS, type StoredWrite } from "./partitionWrites";

/**
 * The dataset-level lineage across DAGs: what each task declares (`inputs`/`outputs` of the
 * current DAG versions) unioned with what tasks were observed doing (dataset events and reads).
 */

export interface TaskKey {
  dagId: string;
  taskId: string;
}

/** How a task touches a dataset. */
interface Link {
  declared: boolean;
  observed: boolean;
}

/** One dataset as the catalog knows it. */
export interface CatalogDataset {
  uri: string;
  /** Distinct partitions written. */
  partitionCount: number;
  lastWrite: StoredWrite | null;
  /** Writers, by `dagId\0taskId`. */
  producers: Map<string, TaskKey & Link>;
  /** Readers, by `dagId\0taskId`. */
  consumers: Map<string, TaskKey & Link>;
  /** DAGs scheduled on it (`schedule: { datasets }`). */
  scheduledDags: string[];
}

/** Code-point order: stable across machines and locales. */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const taskKeyOf = (t: TaskKey) => `${t.dagId}\u0000${t.taskId}`;

function datasetOf(catalog: Map<string, CatalogDataset>, uri: string): CatalogDataset {
  let d = catalog.get(uri);
  if (!d) {
    d = { uri, partitionCount: 0, lastWrite: null, producers: new Map(), consumers: new Map(), scheduledDags: [] };
    catalog.set(uri, d);
  }
  return d;
}

function link(links: Map<string, TaskKey & Link>, task: TaskKey, how: keyof Link): void {
  const key = taskKeyOf(task);
  const l = links.get(key) ?? { dagId: task.dagId, taskId: task.taskId, declared: false, observed: false };
  l[how] = true;
  links.set(key, l);
}

interface ObservedRow {
  uri: string;
  dag_id: string;
  task_id: string;
}

async function observed(db: Db, table: "dataset_events" | "dataset_reads"): Promise<ObservedRow[]> {
  const result = await db.raw<{ rows: ObservedRow[] }>(
    `SELECT d.uri, t.dag_id, t.task_id
       FROM (SELECT DISTINCT dataset_id, task_instance_id FROM ${table} WHERE task_instance_id IS NOT NULL) x
       JOIN datasets d ON d.id = x.dataset_id
       JOIN task_instances t ON t.id = x.task_instance_id
      GROUP BY d.uri, t.dag_id, t.task_id`,
  );
  return result.rows;
}

async function writeStats(db: Db): Promise<Array<{ uri: string; partitions: number; lastWrite: StoredWrite | null }>> {
  const result = await db.raw<{ rows: Array<{ uri: string; partitions: number | string; last_id: number | null }> }>(
    `SELECT d.uri, count(DISTINCT e.partition) AS partitions, max(e.id) AS last_id
       FROM datasets d LEFT JOIN dataset_events e ON e.dataset_id = d.id GROUP BY d.uri`,
  );
  const lastIds = result.rows.flatMap((r) => (r.last_id === null ? [] : [r.last_id]));
  const last = lastIds.length
    ? (await db.raw<{ rows: Parameters<typeof toStoredWrite>[0][] }>(`SELECT ${WRITE_COLUMNS} FROM dataset_events e ${WRITE_JOINS} WHERE e.id = ANY(?::bigint[])`, [lastIds])).rows.map(toStoredWrite)
    : [];
  const byId = new Map(last.map((w) => [w.eventId, w]));
  return result.rows.map((r) => ({ uri: r.uri, partitions: Number(r.partitions), lastWrite: r.last_id === null ? null : (byId.get(r.last_id) ?? null) }));
}

/** Every dataset known: declared by a current DAG, or written or read through Runnel. */
export async function loadLineageCatalog(db: Db): Promise<Map<string, CatalogDataset>> {
  const [declared, writes, reads, stats] = await Promise.all([loadDeclaredLineage(db), observed(db, "dataset_events"), observed(db, "dataset_reads"), writeStats(db)]);
  const catalog = new Map<string, CatalogDataset>();
  for (const s of stats) Object.assign(datasetOf(catalog, s.uri), { partitionCount: s.partitions, lastWrite: s.lastWrite });
  for (const dag of declared) {
    for (const t of dag.tasks) {
      for (const uri of t.outputs) link(datasetOf(catalog, uri).producers, t, "declared");
      for (const uri of t.inputs) link(datasetOf(catalog, uri).consumers, t, "declared");
    }
    for (const uri of new Set(dag.scheduleDatasets)) datasetOf(catalog, uri).scheduledDags.push(dag.dagId);
  }
  for (const r of writes) link(datasetOf(catalog, r.uri).producers, { dagId: r.dag_id, taskId: r.task_id }, "observed");
  for (const r of reads) link(datasetOf(catalog, r.uri).consumers, { dagId: r.dag_id, taskId: r.task_id }, "observed");
  return catalog;
}

/** Task keys of a link map, sorted. */
export function sortedTasks(links: Map<string, TaskKey & Link>): TaskKey[] {
  return [...links.values()].map(({ dagId, taskId }) => ({ dagId, taskId })).sort((a, b) => byText(a.dagId, b.dagId) || byText(a.taskId, b.taskId));
}

export type LineageGraphNode =
  | { kind: "dataset"; id: string; uri: string; partitionCount: number; lastWrittenAt: Date | null }
  | { kind: "task"; id: string; dagId: string; taskId: string };

export interface LineageGraphEdge {
  from: string;
  to: string;
  declared: boolean;
  observed: boolean;
}

export const datasetNodeId = (uri: string) => `dataset:${uri}`;
export const taskNodeId = (t: TaskKey) => `task:${t.dagId}.${t.taskId}`;

/**
 * Datasets and tasks as a graph: task -> dataset (writes), dataset -> task (reads). With `dagId`,
 * the datasets that DAG's tasks touch, with every task touching them (of any DAG).
 */
export async function lineageGraph(db: Db, filter: { dagId?: string } = {}): Promise<{ nodes: LineageGraphNode[]; edges: LineageGraphEdge[] }> {
  const catalog = await loadLineageCatalog(db);
  const touches = (d: CatalogDataset) => [...d.producers.values(), ...d.consumers.values()].some((t) => t.dagId === filter.dagId);
  const datasets = [...catalog.values()].filter((d) => filter.dagId === undefined || touches(d)).sort((a, b) => byText(a.uri, b.uri));
  const nodes: LineageGraphNode[] = [];
  const tasks = new Map<string, TaskKey>();
  const edges: LineageGraphEdge[] = [];
  for (const d of datasets) {
    nodes.push({ kind: "dataset", id: datasetNodeId(d.uri), uri: d.uri, partitionCount: d.partitionCount, lastWrittenAt: d.lastWrite?.writtenAt ?? null });
    for (const p of d.producers.values()) {
      tasks.set(taskKeyOf(p), { dagId: p.dagId, taskId: p.taskId });
      edges.push({ from: taskNodeId(p), to: datasetNodeId(d.uri), declared: p.declared, observed: p.observed });
    }
    for (const c of d.consumers.values()) {
      tasks.set(taskKeyOf(c), { dagId: c.dagId, taskId: c.taskId });
      edges.push({ from: datasetNodeId(d.uri), to: taskNodeId(c), declared: c.declared, observed: c.observed });
    }
  }
  const sorted = [...tasks.values()].sort((a, b) => byText(a.dagId, b.dagId) || byText(a.taskId, b.taskId));
  for (const t of sorted) nodes.push({ kind: "task", id: taskNodeId(t), dagId: t.dagId, taskId: t.taskId });
  return { nodes, edges };
}
