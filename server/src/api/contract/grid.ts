/** API contract: grid. See ../contract.ts. */
import { z } from "zod";
import { isoString, cursorInput, limitInput } from "./fields";
import { RunStateSchema, TaskStateSchema, RunTypeSchema } from "./common";

/** Query of `GET /api/dags/:dagId/grid`: newest runs first. */
export const GridQuerySchema = z.object({ limit: limitInput(25, 200), cursor: cursorInput.optional() });
export type GridQuery = z.input<typeof GridQuerySchema>;

/**
 * A missed deadline as the grid marks it (present only on runs and cells that missed theirs):
 * when it was due, and how long after it the run or task instance ended (null: not finished yet,
 * late by now − deadlineAt).
 */
export const GridDeadlineMissSchema = z.object({ deadlineAt: isoString, lateMs: z.number().int().nullable() });
export type GridDeadlineMiss = z.infer<typeof GridDeadlineMissSchema>;

/** One cell: a task instance of a run. */
export const GridCellSchema = z.object({ state: TaskStateSchema, tryNumber: z.number().int(), tiId: z.number().int(), missedDeadline: GridDeadlineMissSchema.optional() });
export type GridCell = z.infer<typeof GridCellSchema>;

/** One column of the grid (a run); `cells` by task id (a task missing from a run has no cell). */
export const GridRunSchema = z.object({
  runId: z.string(),
  dagRunId: z.number().int(),
  state: RunStateSchema,
  runType: RunTypeSchema,
  logicalDate: isoString,
  missedDeadline: GridDeadlineMissSchema.optional(),
  cells: z.record(z.string(), GridCellSchema),
});
export type GridRun = z.infer<typeof GridRunSchema>;

/** Body of `GET /api/dags/:dagId/grid`: tasks of the latest version (topological order). */
export const GridResponseSchema = z.object({
  tasks: z.array(z.object({ taskId: z.string(), upstream: z.array(z.string()) })),
  runs: z.array(GridRunSchema),
  nextCursor: z.string().nullable(),
});
export type GridResponse = z.infer<typeof GridResponseSchema>;
