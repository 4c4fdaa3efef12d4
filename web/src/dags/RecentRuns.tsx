import type { RecentRun } from "../api/types";
import { logicalDateLabel } from "../format/time";
import { RUN_STATE_STYLE } from "./runStateStyle";

/** The latest runs, oldest to newest left to right, each a square with its state's glyph and a spoken label. */
export function RecentRuns({ dagId, runs }: { dagId: string; runs: RecentRun[] }) {
  if (runs.length === 0) return <span className="muted">No runs yet</span>;
  const oldestFirst = [...runs].reverse();
  return (
    <ul className="run-strip" aria-label={`Recent runs of ${dagId}`}>
      {oldestFirst.map((run) => {
        const style = RUN_STATE_STYLE[run.state];
        const label = `${style.label}, ${logicalDateLabel(run.logicalDate)}`;
        return (
          <li key={run.runId} className={`run-square ${style.className}`} title={`${label} (${run.runId})`}>
            <span aria-hidden="true">{style.glyph}</span>
            <span className="sr-only">{label}</span>
          </li>
        );
      })}
    </ul>
  );
}
