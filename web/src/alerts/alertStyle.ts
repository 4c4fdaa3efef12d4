import type { AlertEvent, DeliveryState } from "../api/types";
import type { StateStyle } from "../ui/taskStateStyle";

/** Each event kind in words, with a badge: the words and glyph carry the meaning, the colour only helps. */
export const ALERT_EVENT_STYLE: Record<AlertEvent, StateStyle> = {
  task_failed: { label: "Task failed", glyph: "✕", className: "state-failed" },
  run_failed: { label: "Run failed", glyph: "✕", className: "state-failed" },
  deadline_missed: { label: "Deadline missed", glyph: "!", className: "state-retry" },
  check_failed: { label: "Check failed", glyph: "!", className: "state-upstream-failed" },
  dead_letters_over: { label: "Dead letters over threshold", glyph: "!", className: "state-upstream-failed" },
  task_succeeded: { label: "Task succeeded", glyph: "✓", className: "state-success" },
  task_retry: { label: "Task retry", glyph: "↻", className: "state-retry" },
  run_succeeded: { label: "Run succeeded", glyph: "✓", className: "state-success" },
  test: { label: "Test alert", glyph: "✉", className: "state-queued" },
};

/** Each delivery state as a badge. */
export const DELIVERY_STATE_STYLE: Record<DeliveryState, StateStyle> = {
  pending: { label: "pending", glyph: "◷", className: "state-queued" },
  sent: { label: "sent", glyph: "✓", className: "state-success" },
  failing: { label: "failing", glyph: "↻", className: "state-retry" },
  given_up: { label: "given up", glyph: "✕", className: "state-failed" },
};

/** The channel in words: operator channels by name, callbacks as the hook the DAG file declares. */
export function channelLabel(channel: string): string {
  if (channel === "webhook") return "Webhook";
  if (channel === "slack") return "Slack";
  if (channel === "email") return "Email";
  const callback = /^callback:(.+)$/.exec(channel);
  return callback ? `Callback ${callback[1]}` : channel;
}
