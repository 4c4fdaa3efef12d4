import { useId, useState } from "react";
import type { ImpactedTask, ReprocessResponse, UserRole } from "../api/types";
import { useCurrentUser } from "../auth/useAuth";
import { Dialog } from "../ui/Dialog";
import { StateBadge } from "../ui/StateBadge";
import { taskStateStyle } from "../ui/taskStateStyle";
import { RunStateBadge } from "../dags/RunStateBadge";
import { useReprocess, useReprocessPreview, useReprocessProgress } from "./useLineage";

/** Roles the server lets clear task instances. */
const OPERATING_ROLES: ReadonlySet<UserRole> = new Set<UserRole>(["operator", "admin"]);

function TaskList({ tasks, label }: { tasks: ImpactedTask[]; label: string }) {
  return (
    <ul className="ref-list reprocess-list" aria-label={label}>
      {tasks.map((t) => (
        <li key={t.id}>
          <span className="reprocess-task">
            <span className="mono">
              {t.dagId}.{t.taskId}
            </span>
            <span className="mono small muted reprocess-run" title={t.runId}>
              {t.runId}
            </span>
          </span>
          <StateBadge style={taskStateStyle(t.state)} />
        </li>
      ))}
    </ul>
  );
}

const instances = (n: number): string => `${n} task instance${n === 1 ? "" : "s"}`;

const REPROCESS_STATE_TEXT = { running: "releasing waves", completed: "completed", failed: "stopped" } as const;

/** The runs of a reprocess by wave: released (cleared) or waiting for the waves before them. */
function WaveProgress({ id }: { id: number }) {
  const progress = useReprocessProgress(id);
  const d = progress.data;
  if (!d) return null;
  return (
    <section aria-label="Reprocess waves" className="reprocess-waves small">
      <p>
        Reprocess #{d.id}: {REPROCESS_STATE_TEXT[d.state]}
        {d.message && ` (${d.message})`}
      </p>
      <ol className="ref-list">
        {d.runs.map((r) => (
          <li key={r.dagRunId}>
            <span className="muted">wave {r.wave + 1}</span> <span className="mono">{r.dagId}</span> <span className="mono muted">{r.runId}</span> — {r.releasedAt ? <RunStateBadge state={r.state} /> : <span className="muted">waiting</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}

function Done({ result, onClose }: { result: ReprocessResponse; onClose: () => void }) {
  return (
    <>
      <p role="status" className="banner reprocess-done">
        Cleared {instances(result.cleared.length)}
        {result.skipped.length > 0 && `; ${instances(result.skipped.length)} left alone (queued or running)`}. They run again as the scheduler admits them.
        {result.waiting.length > 0 && ` ${instances(result.waiting.length)} in downstream runs will be cleared once the runs they read from have succeeded again.`}
      </p>
      {result.reprocessId !== null && <WaveProgress id={result.reprocessId} />}
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </>
  );
}

/** The dry run of a reprocess (what would be cleared, what left alone), then Confirm. */
function ReprocessBody({ uri, partition, onClose }: { uri: string; partition: string; onClose: () => void }) {
  const preview = useReprocessPreview({ uri, partition });
  const reprocess = useReprocess();
  if (reprocess.data) return <Done result={reprocess.data} onClose={onClose} />;
  const plan = preview.data;
  const error = reprocess.error ?? preview.error;
  return (
    <>
      <p className="small reprocess-target">
        Every task instance that depends on <span className="mono">{uri}</span> partition <span className="mono">{partition}</span>, across DAGs, goes back to pending
        and runs again.
      </p>
      {preview.isPending && <p className="muted loading">Checking what this would clear…</p>}
      {error && (
        <p role="alert" className="banner banner-error small">
          {error.message}
        </p>
      )}
      {plan && (
        <>
          {plan.cleared.length + plan.waiting.length === 0 ? (
            <p>Nothing would be cleared.</p>
          ) : (
            plan.cleared.length > 0 && (
            <>
              <p>
                {plan.cleared.length === 1 ? "This task instance" : `These ${plan.cleared.length} task instances`} will be cleared and run again:
              </p>
              <TaskList tasks={plan.cleared} label="Task instances to clear" />
            </>
            )
          )}
          {plan.waiting.length > 0 && (
            <>
              <p className="small reprocess-note">Then, once the runs they read from have succeeded again (in order, so nothing recomputes from a stale input):</p>
              <TaskList tasks={plan.waiting} label="Task instances cleared after their upstream runs" />
            </>
          )}
          {plan.skipped.length > 0 && (
            <>
              <p className="muted small reprocess-note">Left alone because they are queued or running:</p>
              <TaskList tasks={plan.skipped} label="Task instances left alone" />
            </>
          )}
        </>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button button-primary" disabled={!plan || plan.cleared.length + plan.waiting.length === 0 || reprocess.isPending} onClick={() => reprocess.mutate({ uri, partition })}>
          Confirm
        </button>
      </div>
    </>
  );
}

/**
 * "Reprocess downstream" and its dialog. Viewers see the button disabled with the reason (the
 * server would answer 403); with no auth on the server (`me` null) anyone may.
 */
export function ReprocessButton({ uri, partition, impacted }: { uri: string; partition: string; impacted: number }) {
  const me = useCurrentUser();
  const [open, setOpen] = useState(false);
  const reasonId = useId();
  const role = me.data?.role;
  const reason = role !== undefined && !OPERATING_ROLES.has(role) ? `Needs the operator role; you are signed in as a ${role}.` : impacted === 0 ? "Nothing downstream to reprocess." : undefined;
  return (
    <>
      <div className="reprocess-action">
        <button type="button" className="button button-primary" disabled={reason !== undefined} aria-describedby={reason ? reasonId : undefined} onClick={() => setOpen(true)}>
          Reprocess downstream
        </button>
        {reason && (
          <span id={reasonId} className="muted small reprocess-reason">
            {reason}
          </span>
        )}
      </div>
      <Dialog title="Reprocess downstream" open={open} onClose={() => setOpen(false)} wide>
        {open && <ReprocessBody uri={uri} partition={partition} onClose={() => setOpen(false)} />}
      </Dialog>
    </>
  );
}
