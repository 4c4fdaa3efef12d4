/** API contract: grid. See ../contract.ts. */
import { z } from "zod";
import { isoString, cursorInput, limitInput } from "./fields";
import { RunStateSchema, TaskStateSchema, RunTypeSchema } from "./common";

/** Query of `GET /api/dags/:dagId/grid`: newest runs first. */
export const GridQuerySchema = z.object({ limit: limitInput(25, 200), cursor: cursorInput.optional() });
export type GridQuery = z.input<typeof GridQuerySchema>;

/** One cell: a task instance of a run. */
export const GridCellSchema = z.object({ state: TaskStateSchema, tryNumber: z.number().int(), tiId: z.number().int() });
export type GridCell = z.infer<typeof GridCellSchema>;

/** One column of the grid (a run); `cells` by task id (a task missing from a run has no cell). */
export const GridRunSchema = z.object({
  runId: z.string(),
  dagRunId: z.number().int(),
  state: RunStateSchema,
  runType: RunTypeSchema,
  logicalDate: isoString,
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
