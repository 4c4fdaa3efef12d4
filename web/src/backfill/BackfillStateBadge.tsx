import type { BackfillState } from "../api/types";
import { StateBadge } from "../ui/StateBadge";

/** How each backfill state is shown: words and glyph carry the meaning, the colour only helps. */
export const BACKFILL_STATE_STYLE: Record<BackfillState, { label: string; glyph: string; className: string }> = {
  queued: { label: "queued", glyph: "◷", className: "state-queued" },
  running: { label: "running", glyph: "▶", className: "state-running" },
  paused: { label: "paused", glyph: "❚❚", className: "state-canceled" },
  completed: { label: "completed", glyph: "✓", className: "state-success" },
  canceled: { label: "canceled", glyph: "⊘", className: "state-canceled" },
};

export function BackfillStateBadge({ state }: { state: BackfillState }) {
  return <StateBadge style={BACKFILL_STATE_STYLE[state]} />;
}
