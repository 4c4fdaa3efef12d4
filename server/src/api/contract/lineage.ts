/** API contract: lineage (datasets, partitions, the tasks that write and read them). See ../contract.ts. */
import { z } from "zod";
import { ReprocessState } from "../../model/states";
import { RunStateSchema, TaskStateSchema } from "./common";
import { isoString } from "./fields";

/**
 * Dataset URIs are `<schema>.<table>` for warehouse tables and `file://<absolute path>` for files.
 * They are passed as the `uri` query parameter (never in the path: they contain dots and slashes).
 */
const uriInput = z.string().min(1).max(1000);
const partitionInput = z.string().min(1).max(200);

/** A task of a DAG, by id. */
export const LineageTaskKeySchema = z.object({ dagId: z.string(), taskId: z.string() });
export type LineageTaskKey = z.infer<typeof LineageTaskKeySchema>;

/** Who wrote a partition: the task instance, its try and its run. */
export const WriterSchema = z.object({
  dagId: z.string(),
  taskId: z.string(),
  taskInstanceId: z.number().int().nullable(),
  tryNumber: z.number().int().nullable(),
  dagRunId: z.number().int().nullable(),
  /** The human run id; null when the run was deleted. */
  runId: z.string().nullable(),
});
export type Writer = z.infer<typeof WriterSchema>;

/** One recorded write of a partition (a dataset event). */
export const PartitionWriteSchema = z.object({
  eventId: z.number().int(),
  partition: z.string().nullable(),
  rowCount: z.number().int().nullable(),
  checksum: z.string().nullable(),
  writtenAt: isoString,
  /** null when the writer's task instance no longer exists. */
  writer: WriterSchema.nullable(),
});
export type PartitionWrite = z.infer<typeof PartitionWriteSchema>;

// ---------------------------------------------------------------------------------------------
// GET /api/lineage/graph: datasets and the tasks that produce and consume them, across DAGs.

/** Query of `GET /api/lineage/graph`. `dagId` keeps the tasks of that DAG and their datasets (plus the other tasks touching those datasets). */
export const LineageGraphQuerySchema = z.object({ dagId: z.string().min(1).optional() });

/** A node: a dataset (`id` = `dataset:<uri>`) or a task (`id` = `task:<dagId>.<taskId>`). */
export const LineageNodeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("dataset"), id: z.string(), uri: z.string(), partitionCount: z.number().int(), lastWrittenAt: isoString.nullable() }),
  z.object({ kind: z.literal("task"), id: z.string(), dagId: z.string(), taskId: z.string() }),
]);
export type LineageNode = z.infer<typeof LineageNodeSchema>;

/**
 * An edge task -> dataset (the task writes it) or dataset -> task (the task reads it).
 * `declared`: in the task's `inputs`/`outputs`; `observed`: recorded by a write or a read. Both can be true.
 */
export const LineageEdgeSchema = z.object({ from: z.string(), to: z.string(), declared: z.boolean(), observed: z.boolean() });
export type LineageEdge = z.infer<typeof LineageEdgeSchema>;

export const LineageGraphResponseSchema = z.object({ nodes: z.array(LineageNodeSchema), edges: z.array(LineageEdgeSchema) });
export type LineageGraphResponse = z.infer<typeof LineageGraphResponseSchema>;

// ---------------------------------------------------------------------------------------------
// GET /api/lineage/datasets: every dataset known (declared or written).

export const DatasetSummarySchema = z.object({
  uri: z.string(),
  partitionCount: z.number().int(),
  lastWrite: PartitionWriteSchema.nullable(),
  producers: z.array(LineageTaskKeySchema),
  consumers: z.array(LineageTaskKeySchema),
  /** DAGs whose `schedule: { datasets }` lists this dataset. */
  scheduledDags: z.array(z.string()),
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

export const DatasetListResponseSchema = z.object({ datasets: z.array(DatasetSummarySchema) });
export type DatasetListResponse = z.infer<typeof DatasetListResponseSchema>;

// ---------------------------------------------------------------------------------------------
// GET /api/lineage/dataset?uri=: one dataset, its partitions and its check results.

export const DatasetQuerySchema = z.object({ uri: uriInput });

/** A partition's latest write, and how many times it was written in all. */
export const DatasetPartitionSchema = PartitionWriteSchema.extend({ partition: z.string().nullable(), writes: z.number().int() });
export type DatasetPartition = z.infer<typeof DatasetPartitionSchema>;

/** One stored expectation result of a check on this dataset (the trend: oldest partition first). */
export const DatasetCheckResultSchema = z.object({
  dagId: z.string(),
  taskId: z.string(),
  dagRunId: z.number().int(),
  partition: z.string(),
  severity: z.enum(["error", "warn"]),
  expectation: z.string(),
  kind: z.string(),
  passed: z.boolean(),
  observed: z.string(),
  threshold: z.string(),
  checkedAt: isoString,
});
export type DatasetCheckResult = z.infer<typeof DatasetCheckResultSchema>;

/** `GET /api/lineage/dataset`: 404 when the dataset is neither declared nor written. Partitions newest first (at most 500). */
export const DatasetDetailResponseSchema = DatasetSummarySchema.extend({
  partitions: z.array(DatasetPartitionSchema),
  checks: z.array(DatasetCheckResultSchema),
});
export type DatasetDetailResponse = z.infer<typeof DatasetDetailResponseSchema>;

// ---------------------------------------------------------------------------------------------
// GET /api/lineage/partition?uri=&partition=: history, upstream tree, downstream impact.

export const PartitionQuerySchema = z.object({ uri: uriInput, partition: partitionInput });

/** A dataset partition in an upstream or downstream graph; `id` = `<uri>|<partition>`. */
export const PartitionNodeSchema = z.object({
  id: z.string(),
  uri: z.string(),
  partition: z.string().nullable(),
  /** Its latest write; null when it was read but never written through Runnel. */
  lastWrite: PartitionWriteSchema.nullable(),
});
export type PartitionNode = z.infer<typeof PartitionNodeSchema>;

/** `from` was an input of the write that produced `to` (by `via`, a task instance). */
export const PartitionEdgeSchema = z.object({ from: z.string(), to: z.string(), via: WriterSchema });
export type PartitionEdge = z.infer<typeof PartitionEdgeSchema>;

/** A task instance that depends on the partition (read it, or runs downstream of one that did, or was triggered by it). */
export const ImpactedTaskSchema = z.object({
  id: z.number().int(),
  dagId: z.string(),
  taskId: z.string(),
  dagRunId: z.number().int(),
  runId: z.string(),
  state: TaskStateSchema,
  tryNumber: z.number().int(),
  /** How it depends: "reads" a partition in the impact, is "downstream" of such a task in its run, or its run was "triggered" by a write. */
  reason: z.enum(["reads", "downstream", "triggered"]),
});
export type ImpactedTask = z.infer<typeof ImpactedTaskSchema>;

export const ImpactedRunSchema = z.object({ dagRunId: z.number().int(), dagId: z.string(), runId: z.string(), state: RunStateSchema });
export type ImpactedRun = z.infer<typeof ImpactedRunSchema>;

/** Everything that depends on a partition, transitively across DAGs. */
export const DownstreamImpactSchema = z.object({
  partitions: z.array(PartitionNodeSchema),
  edges: z.array(PartitionEdgeSchema),
  tasks: z.array(ImpactedTaskSchema),
  runs: z.array(ImpactedRunSchema),
  /** true when the walk stopped at its bounds (depth, partitions or task instances): there is more than listed. */
  truncated: z.boolean().optional(),
});
export type DownstreamImpact = z.infer<typeof DownstreamImpactSchema>;

/**
 * `GET /api/lineage/partition`: the partition's writes (newest first), the partitions it was
 * computed from (transitively: `upstream`, a graph whose root is the partition itself) and its
 * downstream impact. 404 when the partition was never written nor read.
 */
export const PartitionDetailResponseSchema = z.object({
  uri: z.string(),
  partition: z.string(),
  history: z.array(PartitionWriteSchema),
  upstream: z.object({ root: z.string(), partitions: z.array(PartitionNodeSchema), edges: z.array(PartitionEdgeSchema), truncated: z.boolean().optional() }),
  downstream: DownstreamImpactSchema,
});
export type PartitionDetailResponse = z.infer<typeof PartitionDetailResponseSchema>;

// ---------------------------------------------------------------------------------------------
// POST /api/lineage/reprocess: clear every task instance of the downstream impact (operator).

/** `dryRun` answers exactly the task instances that would be cleared and changes nothing. */
export const ReprocessRequestSchema = z.object({ uri: uriInput, partition: partitionInput, dryRun: z.boolean().default(false) });
export type ReprocessRequest = z.input<typeof ReprocessRequestSchema>;

/**
 * `cleared`: went (or would go) back to pending now; `skipped`: queued/running now, left alone;
 * `waiting`: in runs that read what other reprocessed runs write, cleared by the scheduler once
 * those have succeeded again (in waves), so no DAG recomputes from a stale input. `reprocessId`
 * names the stored reprocess that releases them (null for a dry run or when nothing waits).
 */
export const ReprocessResponseSchema = z.object({
  dryRun: z.boolean(),
  cleared: z.array(ImpactedTaskSchema),
  skipped: z.array(ImpactedTaskSchema),
  waiting: z.array(ImpactedTaskSchema),
  reprocessId: z.number().int().nullable(),
});
export type ReprocessResponse = z.infer<typeof ReprocessResponseSchema>;

// ---------------------------------------------------------------------------------------------
// GET /api/lineage/reprocesses/:id: the waves of a reprocess and how far it got.

/** One run of a reprocess: its wave, whether it was released (cleared) yet, and its state now. */
export const ReprocessRunSchema = z.object({
  dagRunId: z.number().int(),
  dagId: z.string(),
  runId: z.string(),
  wave: z.number().int(),
  taskIds: z.array(z.string()),
  releasedAt: isoString.nullable(),
  state: RunStateSchema,
});
export type ReprocessRun = z.infer<typeof ReprocessRunSchema>;

export const ReprocessDetailResponseSchema = z.object({
  id: z.number().int(),
  uri: z.string(),
  partition: z.string(),
  requestedBy: z.string(),
  state: z.enum(Object.values(ReprocessState)),
  /** Why it failed (which run), or null. */
  message: z.string().nullable(),
  createdAt: isoString,
  finishedAt: isoString.nullable(),
  runs: z.array(ReprocessRunSchema),
});
export type ReprocessDetailResponse = z.infer<typeof ReprocessDetailResponseSchema>;
