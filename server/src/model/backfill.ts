import type { RunState } from "./states";

/** The run a date already has, as the planner needs it. */
export interface ExistingRun {
  state: RunState;
  /** Whether any task instance is failed or upstream_failed. */
  hasFailedTasks: boolean;
}
