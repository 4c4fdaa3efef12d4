import { TaskState, TERMINAL_TASK_STATES, type TriggerRule } from "./states";

/** What to do with a pending task instance given its direct upstream states. */
export type Readiness = "wait" | "run" | "skip" | "upstream_failed";

interface Counts {
  total: number;
  done: number;
  success: number;
  failed: number;
  upstreamFailed: number;
  skipped: number;
}

function count(states: readonly string[]): Counts {
  const c: Counts = { total: states.length, done: 0, success: 0, failed: 0, upstreamFailed: 0, skipped: 0 };
  for (const s of states) {
    if (TERMINAL_TASK_STATES.has(s as TaskState)) c.done++;
    if (s === TaskState.success) c.success++;
    else if (s === TaskState.failed) c.failed++;
    else if (s === TaskState.upstream_failed) c.upstreamFailed++;
    else if (s === TaskState.skipped) c.skipped++;
  }
  return c;
}

/**
 * Airflow's trigger rules as a pure function of the direct upstream states. A task with no
 * upstream always runs. Rules that can be decided early (one_success, one_failed) decide as
 * soon as one upstream qualifies; the others wait until every upstream is terminal.
 * `removed` upstreams count as done and as neither success nor failure.
 */
export function evaluateTriggerRule(rule: TriggerRule, upstreamStates: readonly string[]): Readiness {
  if (upstreamStates.length === 0) return "run";
  const c = count(upstreamStates);
  const allDone = c.done === c.total;
  const anyFailed = c.failed + c.upstreamFailed > 0;
  switch (rule) {
    case "always":
      return "run";
    case "all_success":
      if (anyFailed) return "upstream_failed";
      if (c.skipped > 0) return "skip";
      return allDone ? "run" : "wait";
    case "all_done":
      return allDone ? "run" : "wait";
    case "all_failed":
      if (c.success > 0 || c.skipped > 0) return allDone ? "skip" : "wait";
      return allDone ? "run" : "wait";
    case "one_success":
      if (c.success > 0) return "run";
      if (!allDone) return "wait";
      return anyFailed ? "upstream_failed" : "skip";
    case "one_failed":
      if (anyFailed) return "run";
      return allDone ? "skip" : "wait";
    case "none_failed":
      if (anyFailed) return "upstream_failed";
      return allDone ? "run" : "wait";
    case "none_failed_min_one_success":
      if (anyFailed) return "upstream_failed";
      if (!allDone) return "wait";
      return c.success > 0 ? "run" : "skip";
    case "none_skipped":
      if (c.skipped > 0) return "skip";
      return allDone ? "run" : "wait";
  }
}
