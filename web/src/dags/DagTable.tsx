import type { DagSummary } from "../api/types";
import { relativeTime, utcDateTime } from "../format/time";
import { Link, dagPath } from "../router";
import { PauseSwitch } from "./PauseSwitch";
import { RecentRuns } from "./RecentRuns";
import { RunStateBadge } from "./RunStateBadge";

function ScheduleCell({ dag }: { dag: DagSummary }) {
  if (dag.scheduleDatasets !== null) return <span>{dag.scheduleDescription}</span>;
  if (dag.schedule === null) return <span className="muted">Manual only</span>;
  return (
    <div className="stack">
      <span>{dag.scheduleDescription}</span>
      <code className="muted small">{dag.schedule}</code>
    </div>
  );
}

function NextRunCell({ dag }: { dag: DagSummary }) {
  if (dag.nextRunAt === null) return <span className="muted">—</span>;
  return (
    <time dateTime={dag.nextRunAt} title={utcDateTime(dag.nextRunAt)}>
      {relativeTime(dag.nextRunAt)}
    </time>
  );
}

function StatusBadge({ isPaused }: { isPaused: boolean }) {
  return isPaused ? (
    <span className="badge status-paused">
      <span className="badge-glyph" aria-hidden="true">
        ❚❚
      </span>
      <span>Paused</span>
    </span>
  ) : (
    <span className="badge status-active">
      <span className="badge-glyph" aria-hidden="true">
        ●
      </span>
      <span>Active</span>
    </span>
  );
}

/** Every DAG with its schedule, latest runs and next run. */
export function DagTable({ dags }: { dags: DagSummary[] }) {
  return (
    <div className="table-card">
      <table aria-label="DAGs" className="dag-table">
        <thead>
          <tr>
            <th scope="col">DAG</th>
            <th scope="col">Status</th>
            <th scope="col">Schedule</th>
            <th scope="col">Last run</th>
            <th scope="col">Recent runs</th>
            <th scope="col">Next run</th>
          </tr>
        </thead>
        <tbody>
          {dags.map((dag) => {
            const last = dag.recentRuns[0];
            return (
              <tr key={dag.dagId} className={dag.isPaused ? "row-paused" : undefined}>
                <th scope="row" className="dag-id">
                  <Link to={dagPath(dag.dagId)} className="dag-link">
                    {dag.dagId}
                  </Link>
                </th>
                <td>
                  <div className="status-cell">
                    <PauseSwitch dagId={dag.dagId} isPaused={dag.isPaused} />
                    <StatusBadge isPaused={dag.isPaused} />
                  </div>
                </td>
                <td>
                  <ScheduleCell dag={dag} />
                </td>
                <td>{last ? <RunStateBadge state={last.state} /> : <span className="muted">—</span>}</td>
                <td>
                  <RecentRuns dagId={dag.dagId} runs={dag.recentRuns} />
                </td>
                <td>
                  <NextRunCell dag={dag} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
