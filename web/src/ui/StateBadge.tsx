import type { StateStyle } from "./taskStateStyle";

/** A state as a pill with a glyph and its name. */
export function StateBadge({ style }: { style: StateStyle }) {
  return (
    <span className={`badge ${style.className}`}>
      <span className="badge-glyph" aria-hidden="true">
        {style.glyph}
      </span>
      <span>{style.label}</span>
    </span>
  );
}
