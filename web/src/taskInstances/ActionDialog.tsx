import { useEffect } from "react";
import type { TaskInstanceDetail, TaskRef } from "../api/types";
import { Dialog } from "../ui/Dialog";
import { StateBadge } from "../ui/StateBadge";
import { taskStateStyle } from "../ui/taskStateStyle";
import { useClearTaskInstances, useMarkTaskInstance } from "./useTaskInstance";

export type PendingAction = { kind: "clear"; downstream: boolean } | { kind: "mark"; state: "success" | "failed" };

function RefList({ refs, label }: { refs: TaskRef[]; label: string }) {
  return (
    <ul className="ref-list" aria-label={label}>
      {refs.map((r) => (
        <li key={r.id}>
          <span className="mono">{r.taskId}</span>
          <StateBadge style={taskStateStyle(r.state)} />
        </li>
      ))}
    </ul>
  );
}

/** Shows the dry-run answer of an action, then does it on confirmation. */
export function ActionDialog({ ti, action, onClose }: { ti: TaskInstanceDetail; action: PendingAction; onClose: () => void }) {
  const clear = useClearTaskInstances(String(ti.dagRunId));
  const mark = useMarkTaskInstance(String(ti.id));
  const preview = action.kind === "clear" ? clear : mark;
  const { mutate: clearMutate } = clear;
  const { mutate: markMutate } = mark;

  // The dry run, once per dialog.
  useEffect(() => {
    if (action.kind === "clear") clearMutate({ taskIds: [ti.taskId], downstream: action.downstream, failedOnly: false, dryRun: true });
    else markMutate({ state: action.state, dryRun: true });
  }, [action, ti.taskId, clearMutate, markMutate]);

  const title = action.kind === "clear" ? `Retry ${ti.taskId}${action.downstream ? " and downstream" : ""}` : `Mark ${ti.taskId} ${action.state}`;
  const refs: TaskRef[] = clear.data ? clear.data.cleared : mark.data ? mark.data.marked : [];
  const skipped = clear.data?.skipped ?? [];
  const ready = (action.kind === "clear" ? clear.data?.dryRun : mark.data?.dryRun) === true;
  const confirm = (): void => {
    const done = { onSuccess: onClose };
    if (action.kind === "clear") clear.mutate({ taskIds: [ti.taskId], downstream: action.downstream, failedOnly: false, dryRun: false }, done);
    else mark.mutate({ state: action.state, dryRun: false }, done);
  };
  const verb = action.kind === "clear" ? "cleared and run again" : `marked ${action.state}`;

  return (
    <Dialog title={title} open onClose={onClose}>
      {preview.isPending && !ready && <p className="muted">Checking what this would change…</p>}
      {preview.error && (
        <p role="alert" className="banner banner-error small">
          {preview.error.message}
        </p>
      )}
      {ready && (
        <>
          {refs.length === 0 ? (
            <p>Nothing would change.</p>
          ) : (
            <>
              <p>
                {refs.length === 1 ? "This task instance" : `These ${refs.length} task instances`} will be {verb}:
              </p>
              <RefList refs={refs} label="Task instances affected" />
            </>
          )}
          {skipped.length > 0 && (
            <>
              <p className="muted small">Left alone because they are queued or running:</p>
              <RefList refs={skipped} label="Task instances left alone" />
            </>
          )}
        </>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button button-primary" disabled={!ready || refs.length === 0 || preview.isPending} onClick={confirm}>
          Confirm
        </button>
      </div>
    </Dialog>
  );
}
