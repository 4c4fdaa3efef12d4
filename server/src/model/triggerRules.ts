import { TaskState, TERMINAL_TASK_STATES, type TriggerRule } from "./states";

/** What to do with a pending task instance given its direct upstream states. */
export type Readiness = "wait" | "run" | "skip" | "upstream_failed";

/**
 * A task instance's direct upstream task instances counted by how they stand: not terminal yet
 * (`open`), or ended success, failed (failed or upstream_failed), skipped, removed. The store
 * keeps these counts on each task instance (migration 0020, store/sql/faninCounters.sql, whose
 * runnel_upstream_class is this same classification).
 */
export interface UpstreamCounts {
  open: number;
  success: number;
  failed: number;
  skipped: number;
  removed: number;
}

/** The counts of a list of upstream states (the classification the store's counters follow). */
export function countUpstreamStates(states: readonly string[]): UpstreamCounts {
  const c: UpstreamCounts = { open: 0, success: 0, failed: 0, skipped: 0, removed: 0 };
  for (const s of states) {
    if (!TERMINAL_TASK_STATES.has(s as TaskState)) c.open++;
    else if (s === TaskState.success) c.success++;
    else if (s === TaskState.failed || s === TaskState.upstream_failed) c.failed++;
    else if (s === TaskState.skipped) c.skipped++;
    else c.removed++;
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
  return evaluateTriggerRuleCounts(rule, countUpstreamStates(upstreamStates));
}

/** evaluateTriggerRule on the counts of the upstream states: the one definition of the rules. */
export function evaluateTriggerRuleCounts(rule: TriggerRule, c: UpstreamCounts): Readiness {
  const total = c.open + c.success + c.failed + c.skipped + c.removed;
  if (total === 0) return "run";
  const allDone = c.open === 0;
  const anyFailed = c.failed > 0;
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
