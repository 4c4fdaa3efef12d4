import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "../api/fetchJson";
import type { RunChecksResponse } from "../api/types";
import { StateBadge } from "../ui/StateBadge";
import type { StateStyle } from "../ui/taskStateStyle";

const PASSED: StateStyle = { label: "passed", glyph: "✓", className: "state-success" };
const FAILED: StateStyle = { label: "failed", glyph: "✕", className: "state-failed" };
const WARNED: StateStyle = { label: "failed (warn)", glyph: "!", className: "state-retry" };

/** The run's data-quality results; refreshed with the run (live events touch ["run", id]). */
export function useRunChecks(dagRunId: string) {
  return useQuery({
    queryKey: ["run", dagRunId, "checks"],
    queryFn: ({ signal }) => fetchJson<RunChecksResponse>(`/api/runs/${encodeURIComponent(dagRunId)}/checks`, { signal }),
  });
}

/** "Checks" section of the run page: each expectation of each check task's latest try. */
export function RunChecks({ dagRunId }: { dagRunId: string }) {
  const checks = useRunChecks(dagRunId);
  const rows = checks.data?.checks ?? [];
  const failed = rows.filter((r) => !r.passed).length;
  return (
    <section className="card" aria-label="Checks">
      <div className="card-head">
        <h3 className="section-title">Checks</h3>
        {rows.length > 0 && (
          <span className="muted small">
            {rows.length - failed} of {rows.length} passed
          </span>
        )}
      </div>
      {checks.error && (
        <p role="alert" className="banner banner-error small">
          {checks.error.message}
        </p>
      )}
      {checks.isPending ? (
        <p className="muted card-pad small">Loading checks…</p>
      ) : rows.length === 0 ? (
        <p className="muted card-pad small">No data-quality checks ran in this run.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label="Check results">
            <thead>
              <tr>
                <th scope="col">Expectation</th>
                <th scope="col">Check task</th>
                <th scope="col">Dataset</th>
                <th scope="col">Partition</th>
                <th scope="col">Severity</th>
                <th scope="col">Result</th>
                <th scope="col">Observed</th>
                <th scope="col">Threshold</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={`${r.taskInstanceId}:${i}`}>
                  <th scope="row" className="mono">
                    {r.expectation}
                  </th>
                  <td className="mono small">{r.taskId}</td>
                  <td className="mono small">{r.dataset}</td>
                  <td className="mono small">{r.partition}</td>
                  <td>{r.severity}</td>
                  <td>
                    <StateBadge style={r.passed ? PASSED : r.severity === "warn" ? WARNED : FAILED} />
                  </td>
                  <td className="mono small check-text">{r.observed}</td>
                  <td className="mono small check-text">{r.threshold}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
