import type { RunState } from "../model/states";
import type { Db } from "./db";
import { DEFAULT_WALK_LIMITS, type LineagePartition, type LineagePartitionEdge, type WalkLimits } from "./partitionUpstream";
import {
  latestWrites,
  partitionId,
  readersOfPartitions,
  readsOfTries,
  runsOfTaskInstances,
  taskInstancesOfRuns,
  writesOfTaskInstances,
  type LineageTaskInstance,
  type PartitionKey,
  type StoredWrite,
} from "./partitionWrites";
import { selectWithDownstream } from "./taskActions";

/** Why a task instance depends on a partition. */
export type ImpactReason = "reads" | "downstream" | "triggered";

/** A task instance in the downstream impact of a partition. */
export interface ImpactedTaskInstance {
  id: number;
  dagId: string;
  taskId: string;
  dagRunId: number;
  runId: string;
  state: LineageTaskInstance["state"];
  tryNumber: number;
  reason: ImpactReason;
}

export interface ImpactedRunRow {
  dagRunId: number;
  dagId: string;
  runId: string;
  state: RunState;
}

/** Everything that depends on a partition, transitively across DAGs. */
export interface DownstreamImpactResult {
  partitions: LineagePartition[];
  edges: LineagePartitionEdge[];
  tasks: ImpactedTaskInstance[];
  runs: ImpactedRunRow[];
  /** The walk stopped at its bounds: there is more downstream than listed. */
  truncated: boolean;
}

/** A task instance found to depend directly on one of a set of partitions. */
export interface DirectDependent {
  taskInstanceId: number;
  reason: "reads" | "triggered";
}

/** Finds the task instances that depend directly on some partitions (one kind of dependency). */
export type DependentFinder = (db: Db, partitions: readonly PartitionKey[]) => Promise<DirectDependent[]>;

/** Task instances that read one of the partitions, in any try of any run. */
export const findReaders: DependentFinder = async (db, partitions) =>
  (await readersOfPartitions(db, partitions)).map((r) => ({ taskInstanceId: r.taskInstanceId, reason: "reads" as const }));

/**
 * The first tasks (no in-run upstream) of the runs data-aware scheduling created for one of the
 * partitions: runs of DAGs scheduled on the partition's dataset whose triggering write
 * (`dag_runs.trigger_event_id`, the last of their datasets to arrive) was of that partition. The
 * walk adds the rest of each run as their in-run downstream, and follows what they wrote.
 */
export const findTriggeredRuns: DependentFinder = async (db, partitions) => {
  if (partitions.length === 0) return [];
  const result = await db.raw<{ rows: Array<{ id: number | string }> }>(
    `SELECT DISTINCT t.id FROM unnest(?::text[], ?::text[]) AS k(uri, partition)
       JOIN dags d ON d.schedule_datasets @> jsonb_build_array(k.uri)
       JOIN dag_runs r ON r.dag_id = d.dag_id AND r.run_type = 'dataset_triggered'
       JOIN dataset_events te ON te.id = r.trigger_event_id AND te.partition = k.partition
       JOIN task_instances t ON t.dag_run_id = r.id AND cardinality(t.upstream_task_ids) = 0
      ORDER BY t.id`,
    [partitions.map((p) => p.uri), partitions.map((p) => p.partition)],
  );
  return result.rows.map((r) => ({ taskInstanceId: Number(r.id), reason: "triggered" as const }));
};

/** The direct-dependency kinds the impact walk follows, strongest reason first. */
export const DEPENDENT_FINDERS: readonly DependentFinder[] = [findReaders, findTriggeredRuns];

/** More impacted task instances than this stops the walk (and marks it truncated). */
export const MAX_IMPACTED_TASKS = 5000;

/**
 * The downstream impact of a partition: the task instances that read it (any run), the ones
 * downstream of those inside their run (by the run's task graph, as clear-with-downstream selects
 * them), the partitions all of those wrote, their readers, and so on. Each partition and task
 * instance is taken once, so cycles end; `limits` bound the walk.
 */
export async function downstreamOfPartition(db: Db, root: PartitionKey, limits: WalkLimits = DEFAULT_WALK_LIMITS): Promise<DownstreamImpactResult> {
  const nodes = new Map<string, PartitionKey>([[partitionId(root), root]]);
  const impacted = new Map<number, ImpactReason>();
  const runTis = new Map<number, LineageTaskInstance[]>();
  const writes: StoredWrite[] = [];
  let frontier: PartitionKey[] = [root];
  let truncated = false;
  for (let depth = 0; frontier.length > 0; depth++) {
    const direct = (await Promise.all(DEPENDENT_FINDERS.map((find) => find(db, frontier)))).flat().filter((d) => !impacted.has(d.taskInstanceId));
    if (direct.length === 0) break;
    if (depth >= limits.maxDepth || impacted.size >= MAX_IMPACTED_TASKS) {
      truncated = true;
      break;
    }
    const added: number[] = [];
    for (const d of direct) {
      if (impacted.has(d.taskInstanceId)) continue;
      impacted.set(d.taskInstanceId, d.reason);
      added.push(d.taskInstanceId);
    }
    added.push(...(await addInRunDownstream(db, added, impacted, runTis)));
    const next: PartitionKey[] = [];
    for (const w of await writesOfTaskInstances(db, added)) {
      writes.push(w);
      const id = partitionId(w);
      if (nodes.has(id)) continue;
      if (nodes.size >= limits.maxPartitions) {
        truncated = true;
        continue;
      }
      const key = { datasetId: w.datasetId, uri: w.uri, partition: w.partition };
      nodes.set(id, key);
      next.push(key);
    }
    frontier = next;
  }
  const tis = [...runTis.values()].flat().filter((t) => impacted.has(t.id));
  return {
    partitions: await withLastWrites(db, nodes),
    edges: await inputEdges(db, writes, nodes),
    tasks: tis.map(({ upstreamTaskIds: _u, ...t }) => ({ ...t, reason: impacted.get(t.id)! })).sort((a, b) => a.dagRunId - b.dagRunId || a.id - b.id),
    runs: await runsOf(db, [...new Set(tis.map((t) => t.dagRunId))]),
    truncated,
  };
}

/** Adds the in-run downstream of `roots` (reason "downstream"); returns the task instance ids it added. */
async function addInRunDownstream(db: Db, roots: readonly number[], impacted: Map<number, ImpactReason>, runTis: Map<number, LineageTaskInstance[]>): Promise<number[]> {
  const runOf = await runsOfTaskInstances(db, roots);
  const missing = [...new Set(runOf.values())].filter((r) => !runTis.has(r));
  for (const ti of await taskInstancesOfRuns(db, missing)) {
    const list = runTis.get(ti.dagRunId) ?? [];
    list.push(ti);
    runTis.set(ti.dagRunId, list);
  }
  const added: number[] = [];
  for (const runId of new Set(runOf.values())) {
    const tis = runTis.get(runId) ?? [];
    const rootTasks = tis.filter((t) => roots.includes(t.id)).map((t) => t.taskId);
    const picked = selectWithDownstream(
      tis.map((t) => ({ task_id: t.taskId, upstream_task_ids: t.upstreamTaskIds })),
      rootTasks,
      true,
    );
    for (const t of tis) {
      if (!picked.has(t.taskId) || impacted.has(t.id)) continue;
      impacted.set(t.id, "downstream");
      added.push(t.id);
    }
  }
  return added;
}

async function withLastWrites(db: Db, nodes: Map<string, PartitionKey>): Promise<LineagePartition[]> {
  const last = await latestWrites(db, [...nodes.values()]);
  return [...nodes.entries()].map(([id, k]) => ({ ...k, id, lastWrite: last.get(id) ?? null }));
}

/** Edges input -> output for each impacted write whose try read a partition of the impact. */
async function inputEdges(db: Db, writes: readonly StoredWrite[], nodes: Map<string, PartitionKey>): Promise<LineagePartitionEdge[]> {
  const byTry = new Map<string, StoredWrite[]>();
  for (const w of writes) {
    if (!w.writer || w.writer.taskInstanceId === null || w.writer.tryNumber === null) continue;
    const key = `${w.writer.taskInstanceId}:${w.writer.tryNumber}`;
    byTry.set(key, [...(byTry.get(key) ?? []), w]);
  }
  const tries = [...byTry.keys()].map((k) => {
    const [ti, tryNumber] = k.split(":").map(Number);
    return { taskInstanceId: ti!, tryNumber: tryNumber! };
  });
  const edges: LineagePartitionEdge[] = [];
  for (const read of await readsOfTries(db, tries)) {
    const from = partitionId(read);
    if (!nodes.has(from)) continue;
    for (const w of byTry.get(`${read.taskInstanceId}:${read.tryNumber}`) ?? []) edges.push({ from, to: partitionId(w), via: w.writer! });
  }
  return edges;
}

async function runsOf(db: Db, dagRunIds: readonly number[]): Promise<ImpactedRunRow[]> {
  if (dagRunIds.length === 0) return [];
  const rows = await db("dag_runs").whereIn("id", [...dagRunIds]).orderBy("id").select<Array<{ id: number; dag_id: string; run_id: string; state: RunState }>>("id", "dag_id", "run_id", "state");
  return rows.map((r) => ({ dagRunId: r.id, dagId: r.dag_id, runId: r.run_id, state: r.state }));
}
