import { Fragment, useEffect, useRef, useState } from "react";
import { ACTIVE_TASK_STATES } from "../api/states";
import type { Attempt, TaskInstanceDetail } from "../api/types";
import { durationBetween, formatDuration } from "../format/duration";
import { logicalDateLabel, utcDateTime, utcTime } from "../format/time";
import { Link, runPath } from "../router";
import { DeadlineNote } from "../runs/DeadlineNote";
import { StateBadge } from "../ui/StateBadge";
import { attemptStateStyle, taskStateStyle } from "../ui/taskStateStyle";
import { ActionDialog, type PendingAction } from "./ActionDialog";
import { useLogStream } from "./useLogStream";
import { useTaskInstance } from "./useTaskInstance";

const time = (iso: string | null): string => (iso ? utcTime(iso).slice(0, 8) : "—");

function AttemptsTable({ attempts, selected, onSelect }: { attempts: Attempt[]; selected: number | undefined; onSelect: (tryNumber: number) => void }) {
  if (attempts.length === 0) return <p className="muted small">No tries yet.</p>;
  return (
    <table className="data-table compact" aria-label="Attempts">
      <thead>
        <tr>
          <th scope="col">Try</th>
          <th scope="col">State</th>
          <th scope="col">Start</th>
          <th scope="col">End</th>
          <th scope="col">Duration</th>
          <th scope="col">Worker</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a) => (
          // The error gets a full-width row of its own under its try: it is the thing people read.
          <Fragment key={a.tryNumber}>
            <tr className={`${a.tryNumber === selected ? "row-selected" : ""} ${a.error ? "has-error" : ""}`}>
              <td>
                <button type="button" className="link-button" aria-pressed={a.tryNumber === selected} aria-label={`Show log of try ${a.tryNumber}`} onClick={() => onSelect(a.tryNumber)}>
                  #{a.tryNumber}
                </button>
              </td>
              <td>
                <StateBadge style={attemptStateStyle(a.state)} />
              </td>
              <td title={utcDateTime(a.startDate)}>{time(a.startDate)}</td>
              <td title={a.endDate ? utcDateTime(a.endDate) : undefined}>{time(a.endDate)}</td>
              <td>{formatDuration(durationBetween(a.startDate, a.endDate))}</td>
              <td className="mono small truncate" title={a.worker ?? undefined}>
                {a.worker ?? "—"}
              </td>
            </tr>
            {a.stillRunningAfterCancel && (
              <tr className={`error-row ${a.tryNumber === selected ? "row-selected" : ""}`}>
                <td colSpan={6}>
                  <span className="error-text" role="status">
                    Try {a.tryNumber}: still running after cancel; it ignores its abort signal
                  </span>
                </td>
              </tr>
            )}
            {a.error && (
              <tr className={`error-row ${a.tryNumber === selected ? "row-selected" : ""}`}>
                <td colSpan={6}>
                  <span className="sr-only">Error of try {a.tryNumber}: </span>
                  <span className="error-text">{a.error}</span>
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

function LogView({ id, tryNumber }: { id: string; tryNumber: number | undefined }) {
  const log = useLogStream(id, tryNumber);
  const ref = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);
  useEffect(() => {
    const el = ref.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [log.lines.length, follow]);
  return (
    <section aria-label="Log" className="panel-section">
      <div className="section-head">
        <h4 className="section-title">Log{tryNumber !== undefined && <span className="muted"> · try {tryNumber}</span>}</h4>
        {log.live && (
          <span className="live small">
            <span className="pulse" aria-hidden="true" /> live
          </span>
        )}
        <label className="small check-inline">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
      </div>
      {log.error && (
        <p role="alert" className="banner banner-error small">
          {log.error}
        </p>
      )}
      <pre ref={ref} className="log" tabIndex={0} aria-label={`Log of try ${tryNumber ?? "—"}`}>
        {log.lines.length === 0 ? (
          <span className="muted">{tryNumber === undefined ? "No tries yet." : "No log lines yet."}</span>
        ) : (
          log.lines.map((l) => (
            <span key={l.id} className={`log-line level-${l.level}`}>
              <span className="log-ts">{l.ts.slice(11, 23)}</span> <span className="log-level">{l.level.toUpperCase().padEnd(5)}</span> {l.message}
              {"\n"}
            </span>
          ))
        )}
      </pre>
    </section>
  );
}

/** "Waiting since … · next poke at …" for a sensor between pokes, "next try at …" for a retry. */
function WaitingLine({ ti }: { ti: TaskInstanceDetail }) {
  if (ti.state === "up_for_reschedule") {
    return (
      <p className="banner small" role="status">
        Sensor waiting{ti.sensorStartedAt ? ` since ${utcDateTime(ti.sensorStartedAt)}` : ""}
        {ti.sensorPokes ? ` · ${ti.sensorPokes} poke${ti.sensorPokes === 1 ? "" : "s"} so far` : ""}
        {ti.nextTryAt ? ` · next poke at ${utcDateTime(ti.nextTryAt)}` : ""}
      </p>
    );
  }
  if (ti.state === "up_for_retry" && ti.nextTryAt) {
    return (
      <p className="banner small" role="status">
        Next try at {utcDateTime(ti.nextTryAt)}
      </p>
    );
  }
  return null;
}

function Actions({ ti }: { ti: TaskInstanceDetail }) {
  const [pending, setPending] = useState<PendingAction>();
  const [downstream, setDownstream] = useState(false);
  const busy = ACTIVE_TASK_STATES.has(ti.state);
  return (
    <div className="panel-actions">
      <div className="retry-group">
        <button type="button" className="button button-primary" disabled={busy} onClick={() => setPending({ kind: "clear", downstream })}>
          <span aria-hidden="true">↻ </span>Retry
        </button>
        <label className="small check-inline">
          <input type="checkbox" checked={downstream} onChange={(e) => setDownstream(e.target.checked)} /> with downstream
        </label>
      </div>
      <button type="button" className="button" disabled={busy || ti.state === "success"} onClick={() => setPending({ kind: "mark", state: "success" })}>
        Mark success
      </button>
      <button type="button" className="button button-danger" disabled={busy || ti.state === "failed"} onClick={() => setPending({ kind: "mark", state: "failed" })}>
        Mark failed
      </button>
      {pending && <ActionDialog ti={ti} action={pending} onClose={() => setPending(undefined)} />}
    </div>
  );
}

/** One task instance: state, actions, attempts, the selected try's live log, and output. */
export function TaskInstancePanel({ id, onClose }: { id: string; onClose: () => void }) {
  const ti = useTaskInstance(id);
  const [selectedTry, setSelectedTry] = useState<number>();
  const latestTry = ti.data?.attempts.at(-1)?.tryNumber;
  const shownTry = selectedTry ?? latestTry;

  return (
    <aside className="ti-panel card" aria-label={ti.data ? `Task instance ${ti.data.taskId}` : "Task instance"}>
      <div className="panel-head">
        <div className="stack">
          <h3 className="panel-title mono">{ti.data?.taskId ?? "…"}</h3>
          {ti.data && (
            <span className="muted small">
              <Link to={runPath(ti.data.dagRunId)}>{logicalDateLabel(ti.data.logicalDate)}</Link> · try {ti.data.tryNumber} of {ti.data.maxTries}
            </span>
          )}
        </div>
        {ti.data && <StateBadge style={taskStateStyle(ti.data.state)} />}
        <button type="button" className="icon-button" aria-label="Close task instance" onClick={onClose}>
          ✕
        </button>
      </div>
      {ti.error && (
        <p role="alert" className="banner banner-error small">
          {ti.error.message}
        </p>
      )}
      {ti.data && (
        <>
          <WaitingLine ti={ti.data} />
          <DeadlineNote facts={ti.data} expectedDurationMs={ti.data.expectedDurationMs} />
          <Actions ti={ti.data} />
          <section aria-label="Attempts" className="panel-section">
            <h4 className="section-title">Attempts</h4>
            <div className="table-scroll">
              <AttemptsTable attempts={ti.data.attempts} selected={shownTry} onSelect={setSelectedTry} />
            </div>
          </section>
          <LogView id={id} tryNumber={shownTry} />
          <section aria-label="Output" className="panel-section">
            <h4 className="section-title">Output</h4>
            {ti.data.output === null || ti.data.output === undefined ? (
              <p className="muted small">No output{ti.data.state === "success" ? "" : " yet"}.</p>
            ) : (
              <pre className="json" tabIndex={0}>
                {JSON.stringify(ti.data.output, null, 2)}
              </pre>
            )}
          </section>
        </>
      )}
    </aside>
  );
}

