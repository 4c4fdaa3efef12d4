/** API contract: DAGs. See ../contract.ts. */
import { z } from "zod";
import { isoString, jsonObject } from "./fields";
import { RunStateSchema, TriggerRuleSchema } from "./common";

/** One of the latest runs of a DAG, newest first. */
export const RecentRunSchema = z.object({
  runId: z.string(),
  state: RunStateSchema,
  /** ISO 8601: the start of the run's data interval. */
  logicalDate: isoString,
});
export type RecentRun = z.infer<typeof RecentRunSchema>;

/** A DAG as listed by `GET /api/dags`. */
export const DagSummarySchema = z.object({
  dagId: z.string(),
  /** Cron expression or preset (`@daily`); null = manual only or data-aware (see `scheduleDatasets`). */
  schedule: z.string().nullable(),
  /** Data-aware scheduling: the DAG runs for each partition written to these datasets; null otherwise. */
  scheduleDatasets: z.array(z.string()).nullable(),
  /** The schedule in words, e.g. "every day at 00:00". */
  scheduleDescription: z.string(),
  isPaused: z.boolean(),
  /** When the next scheduled run is due; null for manual-only or past its end date. */
  nextRunAt: isoString.nullable(),
  recentRuns: z.array(RecentRunSchema),
  tags: z.array(z.string()),
});
export type DagSummary = z.infer<typeof DagSummarySchema>;

/** A DAG file that failed to load. */
export const ImportErrorSchema = z.object({
  /** Path of the file, relative to the DAG folder. */
  fileloc: z.string(),
  message: z.string(),
  createdAt: isoString,
});
export type ImportError = z.infer<typeof ImportErrorSchema>;

/** Body of `GET /api/dags`. */
export const DagListResponseSchema = z.object({ dags: z.array(DagSummarySchema), importErrors: z.array(ImportErrorSchema) });
export type DagListResponse = z.infer<typeof DagListResponseSchema>;

/** Body of `GET /api/import-errors`. */
export const ImportErrorListResponseSchema = z.object({ importErrors: z.array(ImportErrorSchema) });
export type ImportErrorListResponse = z.infer<typeof ImportErrorListResponseSchema>;

/** A task in a DAG's graph. */
export const GraphNodeSchema = z.object({
  taskId: z.string(),
  kind: z.enum(["task", "sensor"]),
  triggerRule: TriggerRuleSchema,
  retries: z.number().int(),
  /** Direct upstream task ids. */
  upstream: z.array(z.string()),
  doc: z.string().nullable(),
  /** Dataset URIs read and written. */
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
  /** A data-quality check's settings (`dag.check` tasks only): each expectation as written, with its persisted `name`. */
  check: z
    .object({
      dataset: z.string(),
      partitionColumn: z.string(),
      severity: z.enum(["error", "warn"]),
      expect: z.array(jsonObject.and(z.object({ kind: z.string(), name: z.string() }))),
    })
    .optional(),
});
export type GraphNode = z.infer<typeof GraphNodeSchema>;

/** An edge `from` (upstream) -> `to` (downstream). */
export const GraphEdgeSchema = z.object({ from: z.string(), to: z.string() });
export type GraphEdge = z.infer<typeof GraphEdgeSchema>;

/** One stored version of a DAG (a distinct graph). */
export const DagVersionSchema = z.object({ versionId: z.number().int(), versionHash: z.string(), fileloc: z.string(), createdAt: isoString });
export type DagVersion = z.infer<typeof DagVersionSchema>;

/** Query of `GET /api/dags/:dagId`: which version's graph and source (default: the latest). */
export const DagDetailQuerySchema = z.object({ versionId: z.coerce.number().int().positive().optional() });
export type DagDetailQuery = z.infer<typeof DagDetailQuerySchema>;

/** Body of `GET /api/dags/:dagId`. */
export const DagDetailSchema = DagSummarySchema.extend({
  fileloc: z.string(),
  description: z.string().nullable(),
  timezone: z.string(),
  /** False once no DAG file defines this id any more. */
  isActive: z.boolean(),
  maxActiveRuns: z.number().int(),
  /** The version shown (graph, params schema, source). */
  versionId: z.number().int(),
  graph: z.object({ nodes: z.array(GraphNodeSchema), edges: z.array(GraphEdgeSchema) }),
  /** JSON Schema of the trigger params, or null when the DAG takes none. */
  paramsSchema: jsonObject.nullable(),
  /** TypeScript source of the DAG file at that version. Text: never render as HTML. */
  source: z.string(),
  /** Every version, newest first. */
  versions: z.array(DagVersionSchema),
});
export type DagDetail = z.infer<typeof DagDetailSchema>;
