import type { DatasetCheckResult } from "../api/types";
import { utcDateTime } from "../format/time";
import { dagPath, Link } from "../router";
import { partitionPath } from "./lineagePaths";

/** How many partitions a trend row shows (the newest). */
const TREND_CELLS = 30;

interface Expectation {
  key: string;
  dagId: string;
  taskId: string;
  expectation: string;
  kind: string;
  severity: DatasetCheckResult["severity"];
  /** One result per partition (its latest check), oldest partition first. */
  results: DatasetCheckResult[];
}

/** Results grouped by check task and expectation, keeping the API's order (oldest partition first). */
export function groupByExpectation(checks: DatasetCheckResult[]): Expectation[] {
  const groups = new Map<string, { head: Omit<Expectation, "results">; byPartition: Map<string, DatasetCheckResult> }>();
  for (const c of checks) {
    const key = JSON.stringify([c.dagId, c.taskId, c.expectation]);
    let g = groups.get(key);
    if (!g) {
      g = { head: { key, dagId: c.dagId, taskId: c.taskId, expectation: c.expectation, kind: c.kind, severity: c.severity }, byPartition: new Map() };
      groups.set(key, g);
    }
    const seen = g.byPartition.get(c.partition);
    // A rerun checks the same partition again: its latest result counts, in the partition's place.
    if (!seen || seen.checkedAt < c.checkedAt) g.byPartition.set(c.partition, c);
  }
  return [...groups.values()].map((g) => ({ ...g.head, results: [...g.byPartition.values()] }));
}

const verdict = (passed: boolean): string => (passed ? "pass" : "fail");

function TrendCells({ uri, e }: { uri: string; e: Expectation }) {
  const shown = e.results.slice(-TREND_CELLS);
  const failed = e.results.filter((r) => !r.passed).length;
  return (
    <div className="trend">
      <ol className="trend-cells" aria-label={`Trend of ${e.expectation}, oldest to newest`}>
        {shown.map((r) => (
          <li key={r.partition}>
            <Link
              to={partitionPath(uri, r.partition)}
              className={`trend-cell ${r.passed ? "trend-pass" : "trend-fail"}`}
              aria-label={`${r.partition}: ${verdict(r.passed)}`}
              title={`${r.partition}: ${verdict(r.passed)} · ${r.observed} (threshold ${r.threshold}) · checked ${utcDateTime(r.checkedAt)}`}
            >
              <span aria-hidden="true">{r.passed ? "✓" : "✕"}</span>
            </Link>
          </li>
        ))}
      </ol>
      <span className="muted small trend-summary">
        {e.results.length - failed} of {e.results.length} passed
        {e.results.length > shown.length && ` · newest ${shown.length} shown`}
      </span>
    </div>
  );
}

function Latest({ r }: { r: DatasetCheckResult }) {
  return (
    <div className="check-latest">
      <span className={`check-verdict ${r.passed ? "trend-pass" : "trend-fail"}`}>
        <span aria-hidden="true">{r.passed ? "✓ " : "✕ "}</span>
        {verdict(r.passed)}
        <span className="sr-only"> on {r.partition}</span>
      </span>
      <dl className="check-values small">
        <dt>Observed</dt>
        <dd className="mono">{r.observed}</dd>
        <dt>Threshold</dt>
        <dd className="mono">{r.threshold}</dd>
      </dl>
    </div>
  );
}

/** Per expectation of the checks on a dataset: pass/fail by partition, then the latest observed value vs its threshold. */
export function CheckTrend({ uri, checks }: { uri: string; checks: DatasetCheckResult[] }) {
  const expectations = groupByExpectation(checks);
  return (
    <section className="card lineage-section" aria-labelledby="lineage-checks-title">
      <div className="card-head">
        <h3 id="lineage-checks-title" className="section-title">
          Check results
        </h3>
        <span className="muted small">By partition, oldest to newest</span>
      </div>
      {expectations.length === 0 ? (
        <p className="muted card-pad">No checks have run on this dataset.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table lineage-table check-table" aria-label="Check results">
            <thead>
              <tr>
                <th scope="col">Expectation</th>
                <th scope="col">Check</th>
                <th scope="col">Trend</th>
                <th scope="col">Latest</th>
              </tr>
            </thead>
            <tbody>
              {expectations.map((e) => {
                const latest = e.results.at(-1);
                return (
                  <tr key={e.key}>
                    <th scope="row">
                      <span className="mono">{e.expectation}</span>
                      <span className="muted small check-kind">
                        {e.expectation.startsWith(e.kind) ? "" : `${e.kind} · `}
                        <span className={`severity severity-${e.severity}`}>{e.severity}</span>
                      </span>
                    </th>
                    <td>
                      <Link to={dagPath(e.dagId)} className="mono small">
                        {e.dagId}.{e.taskId}
                      </Link>
                    </td>
                    <td>
                      <TrendCells uri={uri} e={e} />
                    </td>
                    <td className="check-latest-cell">{latest && <Latest r={latest} />}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
