import type { DagDetail, TaskInstanceSummary } from "../api/types";
import { durationBetween, formatDuration } from "../format/duration";
import { logicalDateLabel, utcDateTime } from "../format/time";
import { Link, navigate, runPath, withSearch } from "../router";
import { useRun } from "../runs/useRuns";
import { StateBadge } from "../ui/StateBadge";
import { taskStateStyle } from "../ui/taskStateStyle";
import { RunStateBadge } from "./RunStateBadge";
import { RunPicker } from "./RunPicker";
import { useDagGrid } from "./useDags";

const SECOND = 1000;
/** Tick spacings the axis may use, smallest first. */
const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * SECOND);
const MAX_TICKS = 8;

const ms = (iso: string | null): number | undefined => {
  if (!iso) return undefined;
  const t = new Date(iso).getTime();
  return Number.isFinite(t) ? t : undefined;
};

/** "00:00:05" (UTC) */
const clock = (t: number): string => new Date(t).toISOString().slice(11, 19);

interface Bar {
  ti: TaskInstanceSummary;
  queued: number | undefined;
  start: number | undefined;
  end: number | undefined;
}

/** The time window every bar fits in, and the axis ticks inside it. */
function timeScale(bars: Bar[], now: number): { from: number; to: number; ticks: number[] } | undefined {
  const times = bars.flatMap((b) => [b.queued, b.start, b.end ?? (b.start !== undefined ? now : undefined)]).filter((t): t is number => t !== undefined);
  if (times.length === 0) return undefined;
  const min = Math.min(...times);
  const max = Math.max(...times);
  const step = TICK_STEPS.find((s) => (max - min) / s <= MAX_TICKS) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  const from = Math.floor(min / step) * step;
  const to = Math.max(Math.ceil(max / step) * step, from + step);
  const ticks: number[] = [];
  for (let t = from; t <= to; t += step) ticks.push(t);
  return { from, to, ticks };
}

/**
 * The selected run (default: the latest) as a Gantt chart: one bar per task instance from its
 * start to its end, the time it waited in the queue before that in a lighter shade.
 */
export function DagGantt({ dag, selectedRun }: { dag: DagDetail; selectedRun: string | undefined }) {
  const grid = useDagGrid(dag.dagId);
  const runs = grid.data?.pages.flatMap((p) => p.runs) ?? [];
  const runId = selectedRun ?? (runs[0] ? String(runs[0].dagRunId) : undefined);
  const run = useRun(runId);
  const now = Date.now();

  const order = new Map(dag.graph.nodes.map((n, i) => [n.taskId, i]));
  const bars: Bar[] = (run.data?.taskInstances ?? [])
    .map((ti) => ({ ti, queued: ms(ti.queuedAt), start: ms(ti.startDate), end: ms(ti.endDate) }))
    .sort((a, b) => (order.get(a.ti.taskId) ?? 1e9) - (order.get(b.ti.taskId) ?? 1e9) || (a.start ?? Infinity) - (b.start ?? Infinity));
  const scale = timeScale(bars, now);
  const pct = (t: number): number => (scale ? ((t - scale.from) / (scale.to - scale.from)) * 100 : 0);

  return (
    <div className="card">
      <div className="card-head graph-head">
        <RunPicker runs={runs} value={runId} />
        {run.data && (
          <>
            <RunStateBadge state={run.data.state} />
            <Link to={runPath(run.data.dagRunId)} className="small">
              Run of {logicalDateLabel(run.data.logicalDate)}
            </Link>
            <span className="muted small">
              {run.data.startDate ? `started ${utcDateTime(run.data.startDate)} · ` : ""}
              {formatDuration(durationBetween(run.data.startDate, run.data.endDate))}
            </span>
          </>
        )}
      </div>
      {grid.isPending || (runId !== undefined && run.isPending) ? (
        <p className="muted loading card-pad">Loading…</p>
      ) : run.error ? (
        <p role="alert" className="banner banner-error">
          {run.error.message}
        </p>
      ) : !run.data ? (
        <div className="empty">
          <p className="empty-title">No runs yet</p>
          <p className="muted">Trigger the DAG to see when its tasks ran.</p>
        </div>
      ) : (
        <div className="gantt" role="figure" aria-label={`Gantt of ${dag.dagId}`}>
          <div className="gantt-row gantt-axis" aria-hidden="true">
            <span className="gantt-task muted small">Task · UTC</span>
            <div className="gantt-track">
              {scale?.ticks.map((t) => (
                <span key={t} className="gantt-tick" style={{ left: `${pct(t)}%` }}>
                  {clock(t)}
                </span>
              ))}
            </div>
            <span className="gantt-meta" />
          </div>
          <ul className="gantt-rows" aria-label={`Task instances of the run of ${logicalDateLabel(run.data.logicalDate)}`}>
            {bars.map((b) => {
              const style = taskStateStyle(b.ti.state);
              const started = b.start !== undefined;
              const end = b.end ?? now;
              const duration = started ? formatDuration(durationBetween(b.ti.startDate, b.ti.endDate)) : "not started";
              const queuedFrom = b.queued !== undefined && started && b.queued < b.start! ? b.queued : b.start;
              const open = (): void => navigate(withSearch({ ti: String(b.ti.id), run: String(b.ti.dagRunId) }));
              const title = [
                `${b.ti.taskId} · ${style.label}`,
                b.ti.queuedAt && `queued ${clock(ms(b.ti.queuedAt)!)}`,
                b.ti.startDate && `started ${clock(b.start!)}`,
                b.ti.endDate && `ended ${clock(b.end!)}`,
                started && `ran ${duration}`,
              ]
                .filter(Boolean)
                .join(" · ");
              return (
                <li key={b.ti.id} className="gantt-row">
                  <span className="gantt-task mono" title={b.ti.taskId}>
                    {b.ti.taskId}
                  </span>
                  <div className="gantt-track">
                    {scale?.ticks.map((t) => (
                      <span key={t} className="gantt-gridline" style={{ left: `${pct(t)}%` }} aria-hidden="true" />
                    ))}
                    {started && scale ? (
                      <button
                        type="button"
                        className="gantt-bar"
                        style={{ left: `${pct(queuedFrom!)}%`, width: `${pct(end) - pct(queuedFrom!)}%` }}
                        aria-label={`${b.ti.taskId}: ${style.label}, ${duration}`}
                        title={title}
                        onClick={open}
                      >
                        {queuedFrom! < b.start! && <span className={`gantt-queued ${style.className}`} style={{ flexGrow: b.start! - queuedFrom! }} aria-hidden="true" />}
                        <span className={`gantt-run ${style.className}`} style={{ flexGrow: Math.max(end - b.start!, 1) }} aria-hidden="true" />
                      </button>
                    ) : (
                      <button type="button" className="gantt-none small" aria-label={`${b.ti.taskId}: ${style.label}, not started`} title={title} onClick={open}>
                        not started
                      </button>
                    )}
                  </div>
                  <span className="gantt-meta">
                    <StateBadge style={style} />
                    <span className="muted small gantt-duration">{started ? duration : "—"}</span>
                  </span>
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}
