/** API contract: live updates (SSE). See ../contract.ts. */
import { z } from "zod";
import { RunStateSchema, TaskStateSchema } from "./common";

/** SSE `event: run` on `GET /api/events`: a run changed state. */
export const RunEventSchema = z.object({ dagRunId: z.number().int(), dagId: z.string(), runId: z.string(), state: RunStateSchema });
export type RunEvent = z.infer<typeof RunEventSchema>;

/** SSE `event: task` on `GET /api/events`: a task instance changed (state or try). */
export const TaskEventSchema = z.object({ id: z.number().int(), dagRunId: z.number().int(), dagId: z.string(), taskId: z.string(), state: TaskStateSchema, tryNumber: z.number().int() });
export type TaskEvent = z.infer<typeof TaskEventSchema>;

/** Query of `GET /api/events`: only changes of this DAG / run (default: all). */
export const EventsQuerySchema = z.object({ dagId: z.string().min(1).optional(), dagRunId: z.coerce.number().int().positive().optional() });
export type EventsQuery = z.input<typeof EventsQuerySchema>;

/** SSE event names: `run` and `task` on /api/events, `log` (a LogLine) on the log stream. */
export const SSE_EVENTS = { run: "run", task: "task", log: "log" } as const;
