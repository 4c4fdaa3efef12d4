import type { DeadLetterEvent, DeadLetterStatus } from "../api/types";
import type { StateStyle } from "../ui/taskStateStyle";

/** How each letter status is shown: the words and glyph carry the meaning, the colour only helps. */
export const DEAD_LETTER_STATUS_STYLE: Record<DeadLetterStatus, StateStyle> = {
  open: { label: "open", glyph: "!", className: "state-failed" },
  replay_pending: { label: "replay pending", glyph: "↻", className: "state-running" },
  replayed: { label: "replayed", glyph: "✓", className: "state-success" },
  discarded: { label: "discarded", glyph: "−", className: "state-removed" },
  resolved: { label: "resolved", glyph: "✓", className: "state-skipped" },
};

/** The history events in words. */
export const DEAD_LETTER_EVENT_LABEL: Record<DeadLetterEvent, string> = {
  created: "Created",
  edited: "Payload edited",
  replay_requested: "Replay requested",
  replayed: "Replayed",
  requeued: "Failed again",
  discarded: "Discarded",
  resolved: "Resolved (marked success)",
};
