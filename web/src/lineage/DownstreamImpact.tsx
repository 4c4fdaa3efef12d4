import type { DownstreamImpact as Impact, ImpactedTask } from "../api/types";
import { RunStateBadge } from "../dags/RunStateBadge";
import { dagPath, Link, runPath } from "../router";
import { StateBadge } from "../ui/StateBadge";
import { taskStateStyle } from "../ui/taskStateStyle";
import { PartitionLink, WrittenAt } from "./LineageLinks";
import { taskInstancePath } from "./lineagePaths";

/** Why a task instance is in the impact, in words. */
export const REASON_LABEL: Record<ImpactedTask["reason"], string> = {
  reads: "reads an impacted partition",
  downstream: "downstream in its run",
  triggered: "its run was triggered by a write",
};

/** Task instances with their DAG, run, state and why they are affected. */
export function ImpactedTasksTable({ tasks, label }: { tasks: ImpactedTask[]; label: string }) {
  return (
    <div className="table-scroll">
      <table className="data-table compact lineage-table" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Task and run</th>
            <th scope="col">State</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id}>
              <th scope="row" className="impact-task-cell">
                <Link to={taskInstancePath(t.dagId, t.id, t.dagRunId)} className="mono small">
                  {t.dagId}.{t.taskId}
                </Link>
                <Link to={runPath(t.dagRunId)} className="mono small run-link impact-run" title={t.runId}>
                  {t.runId}
                </Link>
              </th>
              <td>
                <StateBadge style={taskStateStyle(t.state)} />
              </td>
              <td className="muted small impact-reason">{REASON_LABEL[t.reason]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Everything that depends on the partition: partitions computed from it, their runs and task instances. */
export function DownstreamImpact({ impact }: { impact: Impact }) {
  const empty = impact.partitions.length === 0 && impact.tasks.length === 0 && impact.runs.length === 0;
  return (
    <section className="card lineage-section" aria-labelledby="lineage-downstream-title">
      <div className="card-head">
        <h3 id="lineage-downstream-title" className="section-title">
          Downstream impact
        </h3>
        <span className="muted small">
          {impact.partitions.length} partition{impact.partitions.length === 1 ? "" : "s"} · {impact.runs.length} run{impact.runs.length === 1 ? "" : "s"} · {impact.tasks.length} task instance
          {impact.tasks.length === 1 ? "" : "s"}
        </span>
      </div>
      {empty ? (
        <p className="muted card-pad">Nothing depends on this partition yet.</p>
      ) : (
        <>
          <div className="card-pad impact-group">
            <h4 className="section-title">Partitions</h4>
            {impact.partitions.length === 0 ? (
              <p className="muted small">None.</p>
            ) : (
              <ul className="impact-list" aria-label="Downstream partitions">
                {impact.partitions.map((p) => (
                  <li key={p.id}>
                    <PartitionLink uri={p.uri} partition={p.partition} />
                    {p.lastWrite && (
                      <span className="muted small">
                        written <WrittenAt iso={p.lastWrite.writtenAt} />
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="card-pad impact-group">
            <h4 className="section-title">Runs</h4>
            {impact.runs.length === 0 ? (
              <p className="muted small">None.</p>
            ) : (
              <ul className="impact-list" aria-label="Downstream runs">
                {impact.runs.map((r) => (
                  <li key={r.dagRunId}>
                    <Link to={dagPath(r.dagId)} className="mono small">
                      {r.dagId}
                    </Link>
                    <Link to={runPath(r.dagRunId)} className="mono small truncate run-link" title={r.runId}>
                      {r.runId}
                    </Link>
                    <RunStateBadge state={r.state} />
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="impact-group">
            <h4 className="section-title card-pad impact-tasks-title">Task instances</h4>
            {impact.tasks.length === 0 ? <p className="muted small card-pad">None.</p> : <ImpactedTasksTable tasks={impact.tasks} label="Downstream task instances" />}
          </div>
        </>
      )}
    </section>
  );
}
