import type { ReprocessState, RunState } from "../model/states";
import type { Db } from "./db";
import type { ImpactedTaskInstance } from "./downstreamImpact";
import { partitionId, readsOfTries, writesOfTaskInstances } from "./partitionWrites";

/**
 * The wave of each run in a reprocess: 0 for runs that read nothing another impacted run writes,
 * else one more than the latest wave among the impacted runs whose writes it reads (the longest
 * path in the run graph). A cycle between runs cannot be ordered; its runs stop rising after as
 * many rounds as there are runs, so the waves stay finite. Pure.
 * @param readsFrom run -> the impacted runs it reads partitions from (itself excluded)
 */
export function layerRuns(runs: readonly number[], readsFrom: ReadonlyMap<number, ReadonlySet<number>>): Map<number, number> {
  const wave = new Map(runs.map((r) => [r, 0]));
  for (let round = 0; round < runs.length; round++) {
    let changed = false;
    for (const r of runs) {
      for (const from of readsFrom.get(r) ?? []) {
        const need = (wave.get(from) ?? 0) + 1;
        if (need > wave.get(r)! && need <= runs.length) {
          wave.set(r, need);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return wave;
}

/**
 * Orders the runs of a downstream impact so a run is reprocessed only after the runs whose
 * writes it reads: from the writes of the impacted task instances and the reads of their
 * latest tries. @returns dag run id -> wave.
 */
export async function reprocessWaves(db: Db, tasks: readonly ImpactedTaskInstance[]): Promise<Map<number, number>> {
  const runOf = new Map(tasks.map((t) => [t.id, t.dagRunId]));
  const writers = new Map<string, Set<number>>();
  for (const w of await writesOfTaskInstances(db, tasks.map((t) => t.id))) {
    const run = w.writer?.taskInstanceId == null ? undefined : runOf.get(w.writer.taskInstanceId);
    if (run === undefined) continue;
    const id = partitionId(w);
    writers.set(id, (writers.get(id) ?? new Set()).add(run));
  }
  const readsFrom = new Map<number, Set<number>>();
  for (const r of await readsOfTries(db, tasks.map((t) => ({ taskInstanceId: t.id, tryNumber: t.tryNumber })))) {
    const reader = runOf.get(r.taskInstanceId)!;
    for (const from of writers.get(partitionId(r)) ?? []) {
      if (from !== reader) readsFrom.set(reader, (readsFrom.get(reader) ?? new Set()).add(from));
    }
  }
  return layerRuns([...new Set(runOf.values())], readsFrom);
}

/** A stored reprocess with its runs in wave order, or undefined. */
export interface StoredReprocess {
  id: number;
  uri: string;
  partition: string;
  requestedBy: string;
  state: ReprocessState;
  message: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  runs: Array<{ dagRunId: number; dagId: string; runId: string; wave: number; taskIds: string[]; releasedAt: Date | null; state: RunState }>;
}

export async function getReprocess(db: Db, id: number): Promise<StoredReprocess | undefined> {
  const row = await db("reprocesses").where({ id }).first<
    { id: number; uri: string; partition: string; requested_by: string; state: ReprocessState; message: string | null; created_at: Date; finished_at: Date | null } | undefined
  >();
  if (!row) return undefined;
  const runs: Array<{ dag_run_id: number; dag_id: string; run_id: string; wave: number; task_ids: string[]; released_at: Date | null; state: RunState }> = await db("reprocess_runs as w")
    .join("dag_runs as r", "r.id", "w.dag_run_id")
    .where("w.reprocess_id", id)
    .orderBy(["w.wave", "w.dag_run_id"])
    .select("w.dag_run_id", "r.dag_id", "r.run_id", "w.wave", "w.task_ids", "w.released_at", "r.state");
  return {
    id: Number(row.id),
    uri: row.uri,
    partition: row.partition,
    requestedBy: row.requested_by,
    state: row.state,
    message: row.message,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    runs: runs.map((r) => ({ dagRunId: Number(r.dag_run_id), dagId: r.dag_id, runId: r.run_id, wave: r.wave, taskIds: r.task_ids, releasedAt: r.released_at, state: r.state })),
  };
}
