import type { RunState } from "../api/types";
import { StateBadge } from "../ui/StateBadge";
import { RUN_STATE_STYLE } from "./runStateStyle";

/** A run state as a pill with a glyph and its name. */
export function RunStateBadge({ state }: { state: RunState }) {
  return <StateBadge style={RUN_STATE_STYLE[state]} />;
}
