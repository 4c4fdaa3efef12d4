import { useId } from "react";
import type { GridRun } from "../api/types";
import { logicalDateLabel } from "../format/time";
import { navigate, withSearch } from "../router";

/** A "Run" select over the runs the Grid has loaded; the choice goes to `?run=`. */
export function RunPicker({ runs, value }: { runs: GridRun[]; value: string | undefined }) {
  const id = useId();
  return (
    <>
      <label htmlFor={id} className="small">
        Run
      </label>
      <select id={id} className="run-picker" value={value ?? ""} onChange={(e) => navigate(withSearch({ run: e.target.value }), { replace: true })}>
        {runs.length === 0 && <option value="">No runs</option>}
        {value !== undefined && !runs.some((r) => String(r.dagRunId) === value) && <option value={value}>Run {value}</option>}
        {runs.map((r) => (
          <option key={r.dagRunId} value={String(r.dagRunId)}>
            {logicalDateLabel(r.logicalDate)} · {r.state} · {r.runType === "test" ? "test run" : r.runType}
          </option>
        ))}
      </select>
    </>
  );
}
