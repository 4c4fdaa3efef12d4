import { RunStateBadge } from "../dags/RunStateBadge";
import { durationBetween, formatDuration } from "../format/duration";
import { logicalDateLabel, utcDateTime, utcTime } from "../format/time";
import { Link, dagPath, navigate, runPath, useLocation, withSearch } from "../router";
import { TaskInstancePanel } from "../taskInstances/TaskInstancePanel";
import { DeadlineFact, DeadlineNote, LateChip } from "./DeadlineNote";
import { RunChecks } from "./RunChecks";
import { TestRunBadge } from "./RunTypeBadge";
import { StateBadge } from "../ui/StateBadge";
import { taskStateStyle } from "../ui/taskStateStyle";
import { useCancelRun, useRun } from "./useRuns";

/** One run: state, data interval, params, duration and its task instances. */
export function RunPage({ dagRunId }: { dagRunId: string }) {
  const run = useRun(dagRunId);
  const cancel = useCancelRun();
  const { search } = useLocation();
  const ti = search.get("ti") ?? undefined;
  const r = run.data;

  return (
    <main className="page page-wide">
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/">DAGs</Link>
        {r && (
          <>
            <span aria-hidden="true"> / </span>
            <Link to={dagPath(r.dagId)}>{r.dagId}</Link>
          </>
        )}
        <span aria-hidden="true"> / </span>
        <span aria-current="page">Run {dagRunId}</span>
      </nav>
      {run.error && (
        <p role="alert" className="banner banner-error">
          {run.error.message}
        </p>
      )}
      {r && (
        <>
          <div className="page-head">
            <h2 className="page-title">
              <span className="mono">{r.dagId}</span> <span className="muted">·</span> {logicalDateLabel(r.logicalDate)}
            </h2>
            <RunStateBadge state={r.state} />
            <TestRunBadge runType={r.runType} />
            <div className="head-actions">
              {(r.state === "queued" || r.state === "running") && (
                <button type="button" className="button button-danger" disabled={cancel.isPending} onClick={() => cancel.mutate(String(r.dagRunId))}>
                  Cancel run
                </button>
              )}
            </div>
          </div>
          {cancel.error && (
            <p role="alert" className="banner banner-error small">
              {cancel.error.message}
            </p>
          )}
          <dl className="facts card">
            <div>
              <dt>Run id</dt>
              <dd className="mono small">{r.runId}</dd>
            </div>
            <div>
              <dt>Type</dt>
              <dd>{r.runType}</dd>
            </div>
            <div>
              <dt>Data interval</dt>
              <dd>
                {utcDateTime(r.dataIntervalStart)} → {utcDateTime(r.dataIntervalEnd)}
              </dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>{r.startDate ? utcDateTime(r.startDate) : "—"}</dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd>{formatDuration(durationBetween(r.startDate, r.endDate))}</dd>
            </div>
            {r.deadlineAt && (
              <div>
                <dt>Deadline</dt>
                <dd>
                  <DeadlineFact facts={{ ...r, deadlineAt: r.deadlineAt }} />
                </dd>
              </div>
            )}
          </dl>
          <DeadlineNote facts={r} quiet={false} />
          <div className={`dag-body ${ti ? "with-panel" : ""}`}>
            <div className="stack gap">
              <section className="card" aria-label="Task instances">
                <div className="card-head">
                  <h3 className="section-title">Task instances</h3>
                </div>
                <div className="table-scroll">
                  <table className="data-table" aria-label="Task instances">
                    <thead>
                      <tr>
                        <th scope="col">Task</th>
                        <th scope="col">State</th>
                        <th scope="col">Try</th>
                        <th scope="col">Started</th>
                        <th scope="col">Duration</th>
                      </tr>
                    </thead>
                    <tbody>
                      {r.taskInstances.map((t) => (
                        <tr key={t.id} className={String(t.id) === ti ? "row-selected" : undefined}>
                          <th scope="row">
                            <button type="button" className="link-button mono" onClick={() => navigate(withSearch({ ti: String(t.id) }))}>
                              {t.taskId}
                            </button>
                          </th>
                          <td>
                            <StateBadge style={taskStateStyle(t.state)} />
                            <LateChip facts={t} />
                          </td>
                          <td>
                            {t.tryNumber} / {t.maxTries}
                          </td>
                          <td title={t.startDate ? utcDateTime(t.startDate) : undefined}>{t.startDate ? utcTime(t.startDate) : "—"}</td>
                          <td>{formatDuration(durationBetween(t.startDate, t.endDate))}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </section>
              <RunChecks dagRunId={dagRunId} />
              <section className="card" aria-label="Params">
                <div className="card-head">
                  <h3 className="section-title">Params</h3>
                </div>
                {Object.keys(r.conf).length === 0 ? (
                  <p className="muted card-pad small">None.</p>
                ) : (
                  <pre className="json card-pad" tabIndex={0}>
                    {JSON.stringify(r.conf, null, 2)}
                  </pre>
                )}
              </section>
            </div>
            {ti && <TaskInstancePanel key={ti} id={ti} onClose={() => navigate(runPath(dagRunId))} />}
          </div>
        </>
      )}
    </main>
  );
}
