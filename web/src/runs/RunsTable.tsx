import { useState } from "react";
import type { RunState } from "../api/types";
import { RunStateBadge } from "../dags/RunStateBadge";
import { durationBetween, formatDuration } from "../format/duration";
import { logicalDateLabel, utcDateTime } from "../format/time";
import { Link, runPath } from "../router";
import { TestRunBadge } from "./RunTypeBadge";
import { useRunList } from "./useRuns";

const STATES: RunState[] = ["queued", "running", "success", "failed", "canceled"];

/** The runs of a DAG, newest first, filterable by state. */
export function RunsTable({ dagId }: { dagId: string }) {
  const [state, setState] = useState<RunState | "">("");
  const runs = useRunList(dagId, state || undefined);
  const rows = runs.data?.pages.flatMap((p) => p.runs) ?? [];
  return (
    <div className="card">
      <div className="card-head">
        <label htmlFor="runs-state" className="small">
          State
        </label>
        <select id="runs-state" value={state} onChange={(e) => setState(e.target.value as RunState | "")}>
          <option value="">All</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      {runs.error && (
        <p role="alert" className="banner banner-error small">
          {runs.error.message}
        </p>
      )}
      {runs.isPending ? (
        <p className="muted card-pad">Loading runs…</p>
      ) : rows.length === 0 ? (
        <p className="muted card-pad">No runs{state ? ` in state ${state}` : ""}.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label={`Runs of ${dagId}`}>
            <thead>
              <tr>
                <th scope="col">Logical date</th>
                <th scope="col">State</th>
                <th scope="col">Type</th>
                <th scope="col">Run id</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.dagRunId}>
                  <td>
                    <Link to={runPath(r.dagRunId)}>{logicalDateLabel(r.logicalDate)}</Link>
                  </td>
                  <td>
                    <RunStateBadge state={r.state} />
                  </td>
                  <td>{r.runType === "test" ? <TestRunBadge runType={r.runType} /> : r.runType}</td>
                  <td className="mono small truncate" title={r.runId}>
                    {r.runId}
                  </td>
                  <td>{r.startDate ? utcDateTime(r.startDate) : "—"}</td>
                  <td>{formatDuration(durationBetween(r.startDate, r.endDate))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {runs.hasNextPage && (
        <div className="grid-foot">
          <button type="button" className="button" onClick={() => void runs.fetchNextPage()} disabled={runs.isFetchingNextPage}>
            Load more
          </button>
        </div>
      )}
    </div>
  );
}
