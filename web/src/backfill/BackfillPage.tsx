import { useState } from "react";
import type { BackfillDetail, BackfillProgress } from "../api/types";
import { RunStateBadge } from "../dags/RunStateBadge";
import { formatDuration } from "../format/duration";
import { logicalDateLabel, utcDateTime } from "../format/time";
import { dagPath, Link, runPath } from "../router";
import { Dialog } from "../ui/Dialog";
import { BackfillProgressBar } from "./BackfillProgressBar";
import { BackfillStateBadge } from "./BackfillStateBadge";
import { rangeLabel } from "./BackfillsTable";
import { isLive, useBackfill, useBackfillControl, type BackfillControl } from "./useBackfills";

const COUNTS: { key: keyof BackfillProgress; label: string; className: string }[] = [
  { key: "pending", label: "Pending", className: "state-pending" },
  { key: "queued", label: "Queued", className: "state-queued" },
  { key: "running", label: "Running", className: "state-running" },
  { key: "success", label: "Success", className: "state-success" },
  { key: "failed", label: "Failed", className: "state-failed" },
  { key: "canceled", label: "Canceled", className: "state-canceled" },
  { key: "skipped", label: "Skipped", className: "state-skipped" },
];

const ACTION_LABEL: Record<BackfillDetail["dates"][number]["action"], string> = { create: "create", clear: "clear", skip: "skip" };

function eta(b: BackfillDetail): string {
  if (!isLive(b.state)) return b.completedAt ? `ended ${utcDateTime(b.completedAt)}` : b.state;
  if (b.progress.etaSeconds === null) return "ETA after the first run ends";
  return `ETA about ${formatDuration(b.progress.etaSeconds * 1000)}`;
}

function Controls({ b }: { b: BackfillDetail }) {
  const control = useBackfillControl(String(b.id));
  const [confirming, setConfirming] = useState(false);
  const live = isLive(b.state);
  const act = (action: BackfillControl): void => control.mutate(action, { onSuccess: () => setConfirming(false) });
  const stoppable = b.progress.pending + b.progress.queued;
  return (
    <>
      <div className="head-actions">
        {b.state === "paused" ? (
          <button type="button" className="button button-primary" disabled={control.isPending} onClick={() => act("resume")}>
            <span aria-hidden="true">▶ </span>Resume
          </button>
        ) : (
          <button type="button" className="button" disabled={!live || control.isPending} onClick={() => act("pause")}>
            <span aria-hidden="true">❚❚ </span>Pause
          </button>
        )}
        <button type="button" className="button button-danger" disabled={!live || control.isPending} onClick={() => setConfirming(true)}>
          Cancel
        </button>
      </div>
      {control.error && !confirming && (
        <p role="alert" className="banner banner-error small control-error">
          {control.error.message}
        </p>
      )}
      <Dialog title={`Cancel backfill #${b.id}`} open={confirming} onClose={() => setConfirming(false)}>
        <p>
          No more runs will be created; {stoppable} date{stoppable === 1 ? "" : "s"} not started yet will not run, and queued work is canceled. Finished partitions
          ({b.progress.success + b.progress.failed}) stay as they are.
        </p>
        {control.error && (
          <p role="alert" className="banner banner-error small">
            {control.error.message}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => setConfirming(false)}>
            Keep running
          </button>
          <button type="button" className="button button-primary" disabled={control.isPending} onClick={() => act("cancel")}>
            Cancel backfill
          </button>
        </div>
      </Dialog>
    </>
  );
}

/** `/backfills/:id`: state, range, progress with counts and ETA, each date's run, and controls. */
export function BackfillPage({ id }: { id: string }) {
  const backfill = useBackfill(id);
  const b = backfill.data;
  return (
    <main className="page page-wide">
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/backfills">Backfills</Link>
        {b && (
          <>
            <span aria-hidden="true"> / </span>
            <Link to={dagPath(b.dagId)}>{b.dagId}</Link>
          </>
        )}
        <span aria-hidden="true"> / </span>
        <span aria-current="page">#{id}</span>
      </nav>
      {backfill.error && (
        <p role="alert" className="banner banner-error">
          {backfill.error.message}
        </p>
      )}
      {backfill.isPending && <p className="muted loading">Loading backfill…</p>}
      {b && (
        <>
          <div className="page-head dag-head">
            <div className="stack">
              <h2 className="page-title">
                Backfill #{b.id} of <span className="mono">{b.dagId}</span>
              </h2>
              <p className="muted dag-description mono">{rangeLabel(b)}</p>
            </div>
            <Controls b={b} />
          </div>

          <dl className="facts card">
            <div>
              <dt>State</dt>
              <dd>
                <BackfillStateBadge state={b.state} />
              </dd>
            </div>
            <div>
              <dt>Range</dt>
              <dd className="mono">{rangeLabel(b)}</dd>
            </div>
            <div>
              <dt>Reprocess</dt>
              <dd>{b.reprocess}</dd>
            </div>
            <div>
              <dt>Max active runs</dt>
              <dd>{b.maxActiveRuns}</dd>
            </div>
            <div>
              <dt>Order</dt>
              <dd>{b.order} first</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                {utcDateTime(b.createdAt)}
                {b.createdBy ? ` by ${b.createdBy}` : ""}
              </dd>
            </div>
          </dl>

          <section className="card progress-card" aria-labelledby="backfill-progress-title">
            <div className="card-head">
              <h3 id="backfill-progress-title" className="section-title">
                Progress
              </h3>
              <span className="muted small">
                {b.progress.success + b.progress.failed + b.progress.canceled} of {b.progress.total} runs ended · {eta(b)}
              </span>
            </div>
            <div className="card-pad">
              <BackfillProgressBar progress={b.progress} />
              <ul className="count-chips" aria-label="Runs by state">
                {COUNTS.map((c) => (
                  <li key={c.key} className={`count-chip ${c.className}`}>
                    <span>{c.label}</span> <strong>{b.progress[c.key]}</strong>
                  </li>
                ))}
              </ul>
            </div>
          </section>

          <section className="card" aria-labelledby="backfill-dates-title">
            <div className="card-head">
              <h3 id="backfill-dates-title" className="section-title">
                Dates
              </h3>
              <span className="muted small">{b.dates.length}</span>
            </div>
            <div className="table-scroll">
              <table className="data-table compact" aria-label="Backfill dates">
                <thead>
                  <tr>
                    <th scope="col">Logical date</th>
                    <th scope="col">Action</th>
                    <th scope="col">State</th>
                    <th scope="col">Run</th>
                  </tr>
                </thead>
                <tbody>
                  {b.dates.map((d) => (
                    <tr key={d.logicalDate}>
                      <td className="mono">{logicalDateLabel(d.logicalDate)}</td>
                      <td>{ACTION_LABEL[d.action]}</td>
                      <td>{d.state ? <RunStateBadge state={d.state} /> : <span className="muted">{d.action === "skip" ? "left alone" : "not started"}</span>}</td>
                      <td>{d.dagRunId !== null ? <Link to={runPath(d.dagRunId)} className="mono small">{d.runId ?? `run ${d.dagRunId}`}</Link> : <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
    </main>
  );
}
