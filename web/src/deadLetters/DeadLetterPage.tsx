import { useState } from "react";
import { UNSETTLED_DEAD_LETTER_STATUSES } from "../api/states";
import type { DeadLetterDetail, DeadLetterHistoryEntry } from "../api/types";
import { relativeTime, utcDateTime } from "../format/time";
import { Link, dagPath, runPath } from "../router";
import { FailedTryLog } from "./FailedTryLog";
import { DEAD_LETTER_EVENT_LABEL } from "./deadLetterStyle";
import { useCanOperate } from "./DeadLettersPage";
import { DiscardDialog, LetterActionDialog } from "./LetterActionDialogs";
import { PayloadEditor, type EditorState } from "./PayloadEditor";
import { DeadLetterStatusBadge } from "./StatusBadge";
import { useDeadLetter, useEditPayload, type LetterAction } from "./useDeadLetters";

type Pending = { kind: "action"; action: LetterAction; withEdit: boolean } | { kind: "discard" };

/** zod issues as stored (`[{ path, message }]`), tolerating anything else. */
function zodIssues(issues: unknown): Array<{ path: string; message: string }> {
  if (!Array.isArray(issues)) return [];
  return issues.flatMap((i: unknown) => {
    if (typeof i !== "object" || i === null) return [];
    const rec = i as { path?: unknown; message?: unknown };
    const path = Array.isArray(rec.path) ? rec.path.map(String).join(".") : "";
    return [{ path, message: typeof rec.message === "string" ? rec.message : JSON.stringify(i) }];
  });
}

/** The details of a history entry worth a line: a reason, an error, a try, the payload before an edit. */
function HistoryDetails({ entry }: { entry: DeadLetterHistoryEntry }) {
  if (typeof entry.details !== "object" || entry.details === null) return null;
  const d = entry.details as Record<string, unknown>;
  return (
    <>
      {typeof d.reason === "string" && <span className="small"> — reason: {d.reason}</span>}
      {typeof d.tryNumber === "number" && <span className="muted small"> · try {d.tryNumber}</span>}
      {typeof d.error === "string" && <span className="error-inline small"> {d.error}</span>}
      {"before" in d && (
        <details className="dl-before">
          <summary className="small">Payload before</summary>
          <pre className="json">{JSON.stringify(d.before, null, 2)}</pre>
        </details>
      )}
    </>
  );
}

function History({ history }: { history: DeadLetterHistoryEntry[] }) {
  return (
    <section className="card" aria-label="History">
      <div className="card-head">
        <h3 className="section-title">History</h3>
      </div>
      <ol className="dl-history">
        {history.map((h, i) => (
          <li key={i}>
            <strong>{DEAD_LETTER_EVENT_LABEL[h.event]}</strong> <span className="muted">by {h.actor}</span>{" "}
            <time className="muted small" dateTime={h.at} title={utcDateTime(h.at)}>
              {relativeTime(h.at)}
            </time>
            <HistoryDetails entry={h} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function Facts({ d }: { d: DeadLetterDetail }) {
  return (
    <dl className="facts card">
      <div>
        <dt>DAG</dt>
        <dd>
          <Link to={dagPath(d.dagId)} className="mono">
            {d.dagId}
          </Link>
        </dd>
      </div>
      <div>
        <dt>Task</dt>
        <dd>
          {d.dagRunId !== null && d.taskInstanceId !== null ? (
            <Link to={`${runPath(d.dagRunId)}?ti=${d.taskInstanceId}`} className="mono">
              {d.taskId}
            </Link>
          ) : (
            <span className="mono">{d.taskId}</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Run</dt>
        <dd>{d.dagRunId !== null ? <Link to={runPath(d.dagRunId)}>Run {d.dagRunId}</Link> : "—"}</dd>
      </div>
      <div>
        <dt>Partition</dt>
        <dd className="mono">{d.partition ?? "—"}</dd>
      </div>
      {d.kind === "record" && (
        <div>
          <dt>Record key</dt>
          <dd className="mono">{d.recordKey ?? "—"}</dd>
        </div>
      )}
      <div>
        <dt>Try</dt>
        <dd>{d.tryNumber ?? "—"}</dd>
      </div>
      <div>
        <dt>Attempts</dt>
        <dd>{d.attempts}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd title={utcDateTime(d.createdAt)}>{relativeTime(d.createdAt)}</dd>
      </div>
    </dl>
  );
}

function RecordBody({ d, canOperate, onPending }: { d: DeadLetterDetail; canOperate: boolean; onPending: (p: Pending & { edited?: { value: unknown } }) => void }) {
  const [editor, setEditor] = useState<EditorState | null>(null);
  const save = useEditPayload(String(d.id));
  const open = d.status === "open";
  const issues = zodIssues(d.issues);
  const ready = editor?.ready === true;
  const noRights = canOperate ? undefined : "Operators only";
  return (
    <div className="dl-record">
      <section className="card" aria-label="Payload">
        <div className="card-head">
          <h3 className="section-title">Payload</h3>
          <span className="muted small">as received{d.history.some((h) => h.event === "edited") ? ", with edits" : ""}</span>
        </div>
        <pre className="json card-pad dl-payload" tabIndex={0} aria-label="Payload as text">
          {JSON.stringify(d.payload, null, 2)}
        </pre>
        <div className="card-head dl-issues-head">
          <h3 className="section-title">Validation issues</h3>
          <span className="muted small">when it was dead-lettered</span>
        </div>
        {issues.length === 0 ? (
          <p className="muted small card-pad">None stored.</p>
        ) : (
          <ul className="dl-issues card-pad" aria-label="Validation issues">
            {issues.map((i, n) => (
              <li key={n}>
                <span className="mono">{i.path || "(record)"}</span>: {i.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      {!open && (
        <p className="muted small" role="note">
          This letter is {d.status.replace("_", " ")}: its payload can no longer be edited or replayed.
        </p>
      )}
      <section className="card card-pad" aria-label="Edit and replay" hidden={!open}>
        <PayloadEditor key={`${d.id}:${d.updatedAt}`} letterId={String(d.id)} initial={d.payload} readOnly={!open || !canOperate} onState={setEditor} />
        {save.error && (
          <p role="alert" className="banner banner-error small">
            {save.error.message}
          </p>
        )}
        <div className="dl-actions">
          <button type="button" className="button" disabled={!canOperate || !open || !ready || !editor?.dirty || save.isPending} title={noRights} onClick={() => editor?.parsed.ok && save.mutate(editor.parsed.value)}>
            Save edit
          </button>
          <button
            type="button"
            className="button button-primary"
            disabled={!canOperate || !open || !ready}
            title={noRights ?? (ready ? undefined : "Fix the payload first")}
            onClick={() => editor?.parsed.ok && onPending({ kind: "action", action: "replay", withEdit: editor.dirty, edited: editor.dirty ? { value: editor.parsed.value } : undefined })}
          >
            Replay
          </button>
          <button type="button" className="button button-danger" disabled={!canOperate || !UNSETTLED_DEAD_LETTER_STATUSES.has(d.status)} title={noRights} onClick={() => onPending({ kind: "discard" })}>
            Discard
          </button>
        </div>
      </section>
    </div>
  );
}

function TaskBody({ d, canOperate, onPending }: { d: DeadLetterDetail; canOperate: boolean; onPending: (p: Pending) => void }) {
  const open = d.status === "open";
  const noRights = canOperate ? undefined : "Operators only";
  return (
    <section className="card card-pad" aria-label="Failed task">
      <h3 className="section-title">Error of try {d.tryNumber ?? "—"}</h3>
      <pre className="json dl-error" tabIndex={0}>
        {d.error}
      </pre>
      <p className="small">
        Failed {d.attempts} {d.attempts === 1 ? "time" : "times"} while this letter was open.{" "}
        {d.dagRunId !== null && d.taskInstanceId !== null && <Link to={`${runPath(d.dagRunId)}?ti=${d.taskInstanceId}`}>Open the task instance and its log</Link>}
      </p>
      {d.taskInstanceId !== null && d.tryNumber !== null && <FailedTryLog taskInstanceId={d.taskInstanceId} tryNumber={d.tryNumber} />}
      <div className="dl-actions">
        <button type="button" className="button button-primary" disabled={!canOperate || !open} title={noRights} onClick={() => onPending({ kind: "action", action: "retry", withEdit: false })}>
          Retry
        </button>
        <button type="button" className="button" disabled={!canOperate || !open} title={noRights} onClick={() => onPending({ kind: "action", action: "mark-success", withEdit: false })}>
          Mark success
        </button>
        <button type="button" className="button button-danger" disabled={!canOperate || !UNSETTLED_DEAD_LETTER_STATUSES.has(d.status)} title={noRights} onClick={() => onPending({ kind: "discard" })}>
          Dismiss
        </button>
      </div>
    </section>
  );
}

/** `/dead-letters/:id`: one letter — payload as text, issues, history, editor and actions. */
export function DeadLetterPage({ id }: { id: string }) {
  const letter = useDeadLetter(id);
  const canOperate = useCanOperate();
  const [pending, setPending] = useState<(Pending & { edited?: { value: unknown } }) | null>(null);
  const d = letter.data;
  return (
    <main className="page page-wide">
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/dead-letters">Dead letters</Link>
        {d && (
          <>
            <span aria-hidden="true"> / </span>
            <Link to={`/dead-letters?${new URLSearchParams({ ...(d.kind === "task" ? { view: "tasks" } : {}), dagId: d.dagId })}`}>{d.dagId}</Link>
          </>
        )}
        <span aria-hidden="true"> / </span>
        <span aria-current="page">Letter #{id}</span>
      </nav>
      {letter.error && (
        <p role="alert" className="banner banner-error">
          {letter.error.message}
        </p>
      )}
      {d && (
        <>
          <div className="page-head">
            <h2 className="page-title">
              {d.kind === "task" ? "Failed task" : "Invalid record"} #{d.id} <span className="muted">·</span> <span className="mono">{d.taskId}</span>
            </h2>
            <DeadLetterStatusBadge status={d.status} />
            {!canOperate && <span className="muted small head-actions">Read-only: actions need the operator role</span>}
          </div>
          {d.status === "replay_pending" && (
            <p className="banner small" role="status">
              {d.kind === "task" ? "Retry requested: waiting for the task's rerun." : "Replay requested: waiting for the task's rerun to validate the payload."}
            </p>
          )}
          {d.kind === "record" && (
            <p className="error-inline dl-error-line">
              <span className="sr-only">Error: </span>
              {d.error}
            </p>
          )}
          <Facts d={d} />
          <div className="dl-detail">
            {d.kind === "record" ? <RecordBody d={d} canOperate={canOperate} onPending={setPending} /> : <TaskBody d={d} canOperate={canOperate} onPending={setPending} />}
            <History history={d.history} />
          </div>
          {pending?.kind === "action" && <LetterActionDialog letter={d} action={pending.action} editedPayload={pending.edited} onClose={() => setPending(null)} />}
          {pending?.kind === "discard" && <DiscardDialog letter={d} verb={d.kind === "task" ? "Dismiss" : "Discard"} onClose={() => setPending(null)} />}
        </>
      )}
    </main>
  );
}
