import type { SSE_EVENTS as ServerSseEvents } from "../../../server/src/api/contract";

/** SSE event names of the API (checked against the contract's constant, without bundling it). */
export const SSE_EVENTS = { run: "run", task: "task", log: "log" } as const satisfies typeof ServerSseEvents;
