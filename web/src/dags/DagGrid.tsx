import type { GridResponse, GridRun } from "../api/types";
import { logicalDateLabel, utcDateTime } from "../format/time";
import { Link, navigate, runPath, withSearch } from "../router";
import { taskStateStyle } from "../ui/taskStateStyle";
import { RUN_STATE_STYLE } from "./runStateStyle";
import { useDagGrid } from "./useDags";

function RunHeader({ run }: { run: GridRun }) {
  const style = RUN_STATE_STYLE[run.state];
  const date = logicalDateLabel(run.logicalDate);
  return (
    <th scope="col" className="grid-run-head">
      <Link to={runPath(run.dagRunId)} className={`grid-run-bar ${style.className}`} aria-label={`Run ${date}: ${style.label}`} title={`${run.runId} · ${utcDateTime(run.logicalDate)} · ${style.label}`}>
        <span aria-hidden="true">{style.glyph}</span>
      </Link>
      <span className="grid-run-date" aria-hidden="true">
        {date.length > 10 ? date.slice(5, 16) : date.slice(5)}
      </span>
    </th>
  );
}

/** Runs × tasks, newest run first; each cell is a button that opens its task instance. */
export function DagGrid({ dagId, selectedTaskInstanceId }: { dagId: string; selectedTaskInstanceId: string | undefined }) {
  const grid = useDagGrid(dagId);
  if (grid.isPending) return <p className="muted loading">Loading runs…</p>;
  if (grid.error)
    return (
      <p role="alert" className="banner banner-error">
        {grid.error.message}
      </p>
    );

  const runs = grid.data.pages.flatMap((p) => p.runs);
  const tasks: GridResponse["tasks"][number][] = grid.data.pages[0]?.tasks ?? [];
  if (runs.length === 0)
    return (
      <div className="empty">
        <p className="empty-title">No runs yet</p>
        <p className="muted">Trigger the DAG to see its tasks run here.</p>
      </div>
    );

  return (
    <div className="card grid-card">
      <div className="grid-scroll">
        <table className="grid-table" aria-label={`Grid of ${dagId}`}>
          <thead>
            <tr>
              <th scope="col" className="grid-task-head">
                Task <span className="muted small">/ run, newest first</span>
              </th>
              {runs.map((run) => (
                <RunHeader key={run.dagRunId} run={run} />
              ))}
            </tr>
          </thead>
          <tbody>
            {tasks.map((task) => (
              <tr key={task.taskId}>
                <th scope="row" className="grid-task mono">
                  {task.taskId}
                </th>
                {runs.map((run) => {
                  const ti = run.cells[task.taskId];
                  const date = logicalDateLabel(run.logicalDate);
                  if (!ti)
                    return (
                      <td key={run.dagRunId} className="grid-cell-td">
                        <span className="grid-cell grid-cell-empty" aria-label={`${task.taskId} on ${date}: no task instance`} />
                      </td>
                    );
                  const style = taskStateStyle(ti.state);
                  const selected = String(ti.tiId) === selectedTaskInstanceId;
                  return (
                    <td key={run.dagRunId} className="grid-cell-td">
                      <button
                        type="button"
                        className={`grid-cell ${style.className} ${selected ? "selected" : ""}`}
                        aria-label={`${task.taskId} on ${date}: ${style.label}`}
                        aria-pressed={selected}
                        title={`${task.taskId} · ${utcDateTime(run.logicalDate)} · ${style.label}${ti.tryNumber > 1 ? ` · try ${ti.tryNumber}` : ""}`}
                        onClick={() => navigate(withSearch({ ti: String(ti.tiId), run: String(run.dagRunId) }))}
                      >
                        <span aria-hidden="true">{style.glyph}</span>
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="grid-foot">
        <span className="muted small">
          {runs.length} run{runs.length === 1 ? "" : "s"} shown
        </span>
        {grid.hasNextPage && (
          <button type="button" className="button" onClick={() => void grid.fetchNextPage()} disabled={grid.isFetchingNextPage}>
            {grid.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        )}
      </div>
    </div>
  );
}
