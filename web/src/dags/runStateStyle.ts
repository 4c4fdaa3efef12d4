import type { RunState } from "../api/types";

/** How each run state is shown: the words and glyph carry the meaning, the colour only helps. */
export const RUN_STATE_STYLE: Record<RunState, { label: string; glyph: string; className: string }> = {
  queued: { label: "queued", glyph: "◷", className: "state-queued" },
  running: { label: "running", glyph: "▶", className: "state-running" },
  success: { label: "success", glyph: "✓", className: "state-success" },
  failed: { label: "failed", glyph: "✕", className: "state-failed" },
  canceled: { label: "canceled", glyph: "⊘", className: "state-canceled" },
};
