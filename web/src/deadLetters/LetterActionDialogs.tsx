import { useEffect, useId, useState } from "react";
import type { DeadLetterDetail } from "../api/types";
import { Dialog } from "../ui/Dialog";
import { StateBadge } from "../ui/StateBadge";
import { taskStateStyle } from "../ui/taskStateStyle";
import { useDiscardLetter, useEditPayload, useLetterAction, type LetterAction } from "./useDeadLetters";

const TITLES: Record<LetterAction, string> = { replay: "Replay", retry: "Retry", "mark-success": "Mark success" };

/**
 * Replay (records), Retry or Mark success (tasks): shows the dry run (the task instances that will
 * be cleared or marked), then does it. A replay with an unsaved edit saves the payload first.
 */
export function LetterActionDialog({ letter, action, editedPayload, onClose }: { letter: DeadLetterDetail; action: LetterAction; editedPayload?: { value: unknown }; onClose: () => void }) {
  const id = String(letter.id);
  const dry = useLetterAction(id, action);
  const real = useLetterAction(id, action);
  const edit = useEditPayload(id);
  const { mutate: preview } = dry;
  useEffect(() => preview(true), [preview]);

  const result = dry.data?.results[0];
  const refs = result?.cleared ?? [];
  const marking = action === "mark-success";
  const confirm = async (): Promise<void> => {
    if (editedPayload) await edit.mutateAsync(editedPayload.value);
    await real.mutateAsync(false);
    onClose();
  };
  const error = dry.error ?? edit.error ?? real.error;
  const busy = edit.isPending || real.isPending;

  return (
    <Dialog title={`${TITLES[action]} letter #${letter.id}`} open onClose={onClose}>
      {dry.isPending && <p className="muted">Checking what this would change…</p>}
      {error && (
        <p role="alert" className="banner banner-error small">
          {error.message}
        </p>
      )}
      {editedPayload && <p className="small">The edited payload is saved first.</p>}
      {dry.data &&
        (refs.length === 0 ? (
          <p>Nothing would change.</p>
        ) : (
          <>
            <p>
              {refs.length === 1 ? "This task instance" : `These ${refs.length} task instances`} will be {marking ? "marked success" : "cleared and run again"}:
            </p>
            <ul className="ref-list" aria-label="Task instances affected">
              {refs.map((r) => (
                <li key={r.id}>
                  <span className="mono">{r.taskId}</span>
                  <StateBadge style={taskStateStyle(r.state)} />
                </li>
              ))}
            </ul>
          </>
        ))}
      {result?.message && <p className="muted small">{result.message}</p>}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button button-primary" disabled={!dry.data || refs.length === 0 || busy} onClick={() => void confirm().catch(() => undefined)}>
          Confirm
        </button>
      </div>
    </Dialog>
  );
}

/** Discard (records) or Dismiss (tasks) with a required reason. */
export function DiscardDialog({ letter, verb, onClose }: { letter: DeadLetterDetail; verb: "Discard" | "Dismiss"; onClose: () => void }) {
  const discard = useDiscardLetter(String(letter.id));
  const [reason, setReason] = useState("");
  const reasonId = useId();
  return (
    <Dialog title={`${verb} letter #${letter.id}`} open onClose={onClose}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) discard.mutate(reason.trim(), { onSuccess: onClose });
        }}
      >
        <p className="small">{letter.kind === "task" ? "The task stays failed; the letter leaves the queue." : "The record is dropped: a rerun no longer queues it while it is still invalid."}</p>
        <div className="field">
          <label htmlFor={reasonId}>Reason</label>
          <textarea id={reasonId} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} required />
        </div>
        {discard.error && (
          <p role="alert" className="banner banner-error small">
            {discard.error.message}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={reason.trim() === "" || discard.isPending}>
            Confirm
          </button>
        </div>
      </form>
    </Dialog>
  );
}
