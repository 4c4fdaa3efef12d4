import type { SerializedTask } from "../model/graph";
import type { TaskState } from "../model/states";
import type { ClaimedTry } from "../store/taskTries";

/** How a try ended, as a `TryObserver` hears it. `stale`: the completion lost the fence (cleared, canceled, moved on). */
export interface TryEnd {
  state: TaskState | "stale";
  error?: string;
}

/**
 * Hears tries start and end in a worker (OpenLineage export). Called inline on the hot path, so
 * an observer must return at once and never throw: it queues whatever it does. `TryRunner` calls
 * nothing when no observer is configured.
 */
export interface TryObserver {
  /** Try `claim.tryNumber` was claimed and its task starts (for a reschedule-mode sensor: its first poke only). */
  started(claim: ClaimedTry, task: SerializedTask | undefined): void;
  /** The try ended. Not called when a reschedule-mode sensor only released its slot until the next poke. */
  finished(claim: ClaimedTry, task: SerializedTask | undefined, end: TryEnd): void;
}
