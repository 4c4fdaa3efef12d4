import { discardDeadLetter, markReplayPending } from "./deadLetterActions";
import type { DeadLetter } from "./deadLetters";
import type { Db } from "./db";
import { clearTaskInstances, type TaskRefRow } from "./taskActions";
import type { ReadyDispatch } from "./taskInstances";

/** What a replay or discard did to one letter; `cleared`: the task instances cleared (or, dry, that would be). */
export interface DeadLetterActionResult {
  id: number;
  ok: boolean;
  message: string | null;
  cleared: TaskRefRow[];
}

/**
 * Replays one letter: open -> replay_pending, then clears its task instance with downstream so
 * the rerun's ctx.validate substitutes the (edited) payload. A dry run lists what would be cleared.
 * `dispatch` admits and pushes what became ready (the API's dispatch service; the CLI defers to the scheduler).
 */
export async function replayDeadLetter(db: Db, d: DeadLetter, dryRun: boolean, actor: string, dispatch: ReadyDispatch): Promise<DeadLetterActionResult> {
  const fail = (message: string): DeadLetterActionResult => ({ id: d.id, ok: false, message, cleared: [] });
  if (d.status !== "open") return fail(`dead letter ${d.id} is ${d.status}: only an open one can be replayed`);
  if (d.dagRunId === null) return fail(`dead letter ${d.id} has no run left to rerun`);
  const clear = { taskIds: [d.taskId], downstream: true, dryRun: true };
  const preview = await clearTaskInstances(db, d.dagRunId, clear, dispatch);
  if (dryRun) return { id: d.id, ok: true, message: null, cleared: preview.cleared };
  if (!(await markReplayPending(db, d.id, actor, { dagRunId: d.dagRunId }))) return fail(`dead letter ${d.id} is no longer open`);
  const result = await clearTaskInstances(db, d.dagRunId, { ...clear, dryRun: false }, dispatch);
  await dispatch.dispatch(result);
  return { id: d.id, ok: true, message: result.skipped.length ? "the task is still running: it will read the replay on its next try" : null, cleared: result.cleared };
}

/** Discards one letter with `reason` (open or replay_pending ones); a dry run only says whether it could. */
export async function discardOneDeadLetter(db: Db, d: DeadLetter, reason: string, dryRun: boolean, actor: string): Promise<DeadLetterActionResult> {
  const ok = d.status === "open" || d.status === "replay_pending";
  if (!ok) return { id: d.id, ok: false, message: `dead letter ${d.id} is ${d.status}`, cleared: [] };
  if (dryRun) return { id: d.id, ok: true, message: null, cleared: [] };
  const won = await discardDeadLetter(db, d.id, actor, reason);
  return { id: d.id, ok: won, message: won ? null : `dead letter ${d.id} changed meanwhile`, cleared: [] };
}

