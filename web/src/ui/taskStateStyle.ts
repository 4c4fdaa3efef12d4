import type { AttemptState, TaskState } from "../api/types";

export interface StateStyle {
  label: string;
  glyph: string;
  className: string;
}

/** How each task state is shown: the words and glyph carry the meaning, the colour only helps. */
export const TASK_STATE_STYLE: Record<TaskState, StateStyle> = {
  pending: { label: "pending", glyph: "○", className: "state-pending" },
  scheduled: { label: "scheduled", glyph: "◔", className: "state-queued" },
  queued: { label: "queued", glyph: "◷", className: "state-queued" },
  running: { label: "running", glyph: "▶", className: "state-running" },
  success: { label: "success", glyph: "✓", className: "state-success" },
  failed: { label: "failed", glyph: "✕", className: "state-failed" },
  up_for_retry: { label: "up for retry", glyph: "↻", className: "state-retry" },
  up_for_reschedule: { label: "up for reschedule", glyph: "⏱", className: "state-retry" },
  upstream_failed: { label: "upstream failed", glyph: "!", className: "state-upstream-failed" },
  skipped: { label: "skipped", glyph: "»", className: "state-skipped" },
  removed: { label: "removed", glyph: "−", className: "state-removed" },
};

export const ATTEMPT_STATE_STYLE: Record<AttemptState, StateStyle> = {
  running: TASK_STATE_STYLE.running,
  success: TASK_STATE_STYLE.success,
  failed: TASK_STATE_STYLE.failed,
  skipped: TASK_STATE_STYLE.skipped,
  lost: { label: "lost", glyph: "?", className: "state-upstream-failed" },
  rescheduled: { label: "rescheduled", glyph: "⏱", className: "state-retry" },
  canceled: { label: "canceled", glyph: "⊘", className: "state-removed" },
};

const FALLBACK: StateStyle = { label: "unknown", glyph: "?", className: "state-removed" };
export const taskStateStyle = (state: string): StateStyle => TASK_STATE_STYLE[state as TaskState] ?? { ...FALLBACK, label: state };
export const attemptStateStyle = (state: string): StateStyle => ATTEMPT_STATE_STYLE[state as AttemptState] ?? { ...FALLBACK, label: state };
