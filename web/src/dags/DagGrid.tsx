import { useState, type MouseEvent } from "react";
import type { GridResponse, GridRun } from "../api/types";
import { logicalDateLabel, utcDateTime } from "../format/time";
import { Link, navigate, runPath, withSearch } from "../router";
import { taskStateStyle } from "../ui/taskStateStyle";
import { gridMissLabel } from "../runs/deadline";
import "../runs/deadline.css";
import { TestRunBadge } from "../runs/RunTypeBadge";
import { RUN_STATE_STYLE } from "./runStateStyle";
import { useDagGrid } from "./useDags";

function RunHeader({ run, selected, onSelect }: { run: GridRun; selected: boolean; onSelect: (e: MouseEvent<HTMLInputElement>) => void }) {
  const style = RUN_STATE_STYLE[run.state];
  const date = logicalDateLabel(run.logicalDate);
  const kind = run.runType === "test" ? " (test run)" : "";
  const late = run.missedDeadline ? `, ${gridMissLabel(run.missedDeadline)}` : "";
  return (
    <th scope="col" className={`grid-run-head ${selected ? "run-selected" : ""}`}>
      <input type="checkbox" className="grid-run-check" aria-label={`Select run ${date}`} title="Select (shift-click: a range)" checked={selected} onChange={() => undefined} onClick={onSelect} />
      <Link
        to={runPath(run.dagRunId)}
        className={`grid-run-bar ${style.className} ${late ? "deadline-missed" : ""}`}
        aria-label={`Run ${date}${kind}: ${style.label}${late}`}
        title={`${run.runId} · ${utcDateTime(run.logicalDate)} · ${style.label}${kind}${late ? ` · ${late.slice(2)}` : ""}`}
      >
        <span aria-hidden="true">{style.glyph}</span>
      </Link>
      <TestRunBadge runType={run.runType} compact />
      <span className="grid-run-date" aria-hidden="true">
        {date.length > 10 ? date.slice(5, 16) : date.slice(5)}
      </span>
    </th>
  );
}

/** The day (YYYY-MM-DD, UTC) of a logical date, for the backfill dialog's date fields. */
const day = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

/**
 * Runs × tasks, newest run first; each cell is a button that opens its task instance. Run headers
 * have checkboxes (shift-click selects a range); "Retry failed" hands the selected range to
 * `onRetryFailed` (a backfill with reprocess "failed").
 */
export function DagGrid({
  dagId,
  selectedTaskInstanceId,
  onRetryFailed,
}: {
  dagId: string;
  selectedTaskInstanceId: string | undefined;
  onRetryFailed?: (range: { from: string; to: string }) => void;
}) {
  const grid = useDagGrid(dagId);
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const [anchor, setAnchor] = useState<number>();
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

  const select = (index: number, e: MouseEvent<HTMLInputElement>): void => {
    const id = runs[index]?.dagRunId;
    if (id === undefined) return;
    const next = new Set(picked);
    const anchorIndex = anchor === undefined ? -1 : runs.findIndex((r) => r.dagRunId === anchor);
    if (e.shiftKey && anchorIndex >= 0) {
      const [lo, hi] = anchorIndex < index ? [anchorIndex, index] : [index, anchorIndex];
      for (const r of runs.slice(lo, hi + 1)) next.add(r.dagRunId);
    } else if (next.has(id)) next.delete(id);
    else next.add(id);
    setPicked(next);
    setAnchor(id);
  };
  const chosen = runs.filter((r) => picked.has(r.dagRunId)).map((r) => r.logicalDate).sort();
  const anyLate = runs.some((r) => r.missedDeadline || Object.values(r.cells).some((c) => c.missedDeadline));
  const range = chosen.length > 0 ? { from: day(chosen[0]!), to: day(chosen.at(-1)!) } : undefined;

  return (
    <div className="card grid-card">
      {range && (
        <div className="grid-selection" role="region" aria-label="Selected runs">
          <span className="small">
            <strong>
              {chosen.length} run{chosen.length === 1 ? "" : "s"}
            </strong>{" "}
            selected <span className="mono muted">{range.from === range.to ? range.from : `${range.from} → ${range.to}`}</span>
          </span>
          {onRetryFailed && (
            <button type="button" className="button button-primary" onClick={() => onRetryFailed(range)}>
              <span aria-hidden="true">↻ </span>Retry failed
            </button>
          )}
          <button type="button" className="button button-ghost" onClick={() => setPicked(new Set())}>
            Clear selection
          </button>
        </div>
      )}
      <div className="grid-scroll">
        <table className="grid-table" aria-label={`Grid of ${dagId}`}>
          <thead>
            <tr>
              <th scope="col" className="grid-task-head">
                Task <span className="muted small">/ run, newest first</span>
              </th>
              {runs.map((run, i) => (
                <RunHeader key={run.dagRunId} run={run} selected={picked.has(run.dagRunId)} onSelect={(e) => select(i, e)} />
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
                  const late = ti.missedDeadline ? gridMissLabel(ti.missedDeadline) : undefined;
                  return (
                    <td key={run.dagRunId} className="grid-cell-td">
                      <button
                        type="button"
                        className={`grid-cell ${style.className} ${selected ? "selected" : ""} ${late ? "deadline-missed" : ""}`}
                        aria-label={`${task.taskId} on ${date}: ${style.label}${late ? `, ${late}` : ""}`}
                        aria-pressed={selected}
                        title={`${task.taskId} · ${utcDateTime(run.logicalDate)} · ${style.label}${ti.tryNumber > 1 ? ` · try ${ti.tryNumber}` : ""}${late ? ` · ${late}` : ""}`}
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
          {anyLate && (
            <>
              {" · "}
              <span className="grid-legend">
                <span className="grid-legend-dot" aria-hidden="true" />
                missed its deadline
              </span>
            </>
          )}
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
