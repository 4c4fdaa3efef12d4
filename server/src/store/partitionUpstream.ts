import type { Db } from "./db";
import { latestWrites, partitionId, readsOfTries, type PartitionKey, type StoredWrite, type StoredWriter } from "./partitionWrites";

/** Bounds of a lineage walk: how many hops, and how many partitions, before it stops. */
export interface WalkLimits {
  maxDepth: number;
  maxPartitions: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = { maxDepth: 25, maxPartitions: 2000 };

/** A partition in a lineage graph, with its latest write (null: read but never written through Runnel). */
export interface LineagePartition extends PartitionKey {
  id: string;
  lastWrite: StoredWrite | null;
}

/** `from` was an input of the write of `to` by `via`. */
export interface LineagePartitionEdge {
  from: string;
  to: string;
  via: StoredWriter;
}

/** What a partition was computed from, transitively. */
export interface UpstreamGraph {
  root: string;
  partitions: LineagePartition[];
  edges: LineagePartitionEdge[];
  /** The walk stopped at its bounds: there is more upstream. */
  truncated: boolean;
}

/**
 * The partitions `root` was computed from, transitively: the latest write of a partition, the
 * reads of that write's try (its inputs), those partitions' latest writes, and so on. Breadth
 * first; each partition is expanded once, so cycles (a task reading what it writes) end.
 */
export async function upstreamOfPartition(db: Db, root: PartitionKey, limits: WalkLimits = DEFAULT_WALK_LIMITS): Promise<UpstreamGraph> {
  const nodes = new Map<string, PartitionKey>([[partitionId(root), root]]);
  const edges: LineagePartitionEdge[] = [];
  const known = new Map<string, StoredWrite>();
  let frontier: PartitionKey[] = [root];
  let truncated = false;
  for (let depth = 0; frontier.length > 0; depth++) {
    const writes = await latestWrites(db, frontier);
    for (const [id, w] of writes) known.set(id, w);
    if (depth >= limits.maxDepth) {
      truncated = [...writes.values()].some((w) => w.writer !== null);
      break;
    }
    const tries = [...writes.values()].flatMap((w) =>
      w.writer && w.writer.taskInstanceId !== null && w.writer.tryNumber !== null ? [{ taskInstanceId: w.writer.taskInstanceId, tryNumber: w.writer.tryNumber, write: w }] : [],
    );
    const byTry = new Map(tries.map((t) => [`${t.taskInstanceId}:${t.tryNumber}`, t.write]));
    const next: PartitionKey[] = [];
    for (const read of await readsOfTries(db, tries)) {
      const output = byTry.get(`${read.taskInstanceId}:${read.tryNumber}`);
      if (!output?.writer) continue;
      const input: PartitionKey = { datasetId: read.datasetId, uri: read.uri, partition: read.partition };
      const inputId = partitionId(input);
      edges.push({ from: inputId, to: partitionId(output), via: output.writer });
      if (nodes.has(inputId)) continue;
      if (nodes.size >= limits.maxPartitions) {
        truncated = true;
        continue;
      }
      nodes.set(inputId, input);
      next.push(input);
    }
    frontier = next;
  }
  const partitions = [...nodes.entries()].map(([id, k]) => ({ ...k, id, lastWrite: known.get(id) ?? null }));
  return { root: partitionId(root), partitions, edges: edges.filter((e) => nodes.has(e.from)), truncated };
}
