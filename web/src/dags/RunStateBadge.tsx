import type { RunState } from "../api/types";
import { RUN_STATE_STYLE } from "./runStateStyle";

/** A run state as a pill with a glyph and its name. */
export function RunStateBadge({ state }: { state: RunState }) {
  const style = RUN_STATE_STYLE[state];
  return (
    <span className={`badge ${style.className}`}>
      <span className="badge-glyph" aria-hidden="true">
        {style.glyph}
      </span>
      <span>{style.label}</span>
    </span>
  );
}
