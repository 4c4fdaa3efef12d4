import { useEffect, useId, useState } from "react";
import type { DeadLetterActionResponse, DeadLetterFilter } from "../api/types";
import { Dialog } from "../ui/Dialog";
import { useBulkAction } from "./useDeadLetters";

export type BulkAction = "replay" | "discard";

/** Words of a bulk action in one view: records are replayed/discarded, failed tasks retried/dismissed. */
export function bulkVerb(action: BulkAction, tasks: boolean): string {
  if (action === "replay") return tasks ? "Retry" : "Replay";
  return tasks ? "Dismiss" : "Discard";
}

function Preview({ data, action }: { data: DeadLetterActionResponse; action: BulkAction }) {
  const ok = data.results.filter((r) => r.ok);
  const refused = data.results.filter((r) => !r.ok);
  return (
    <>
      <p>
        {ok.length === 0 ? "No letter can be" : ok.length === 1 ? "1 letter will be" : `${ok.length} letters will be`} {action === "replay" ? "replayed" : "discarded"}
        {refused.length > 0 ? `; ${refused.length} cannot be` : ""}.
      </p>
      {ok.length > 0 && (
        <ul className="ref-list" aria-label="Letters affected">
          {ok.map((r) => (
            <li key={r.id}>
              <span className="mono">#{r.id}</span>
              {action === "replay" && <span className="muted small">clears {r.cleared.length === 0 ? "nothing (still running)" : r.cleared.map((c) => c.taskId).join(", ")}</span>}
            </li>
          ))}
        </ul>
      )}
      {refused.length > 0 && (
        <ul className="ref-list" aria-label="Letters left alone">
          {refused.map((r) => (
            <li key={r.id}>
              <span className="mono">#{r.id}</span>
              <span className="muted small">{r.message}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * A bulk replay/discard: of the ticked letters (`ids`) or of every letter matching `filter`.
 * The dry run is shown first; a discard needs a reason.
 */
export function BulkActionDialog({ action, filter, ids, tasks, onClose }: { action: BulkAction; filter: DeadLetterFilter; ids: number[] | undefined; tasks: boolean; onClose: () => void }) {
  const dry = useBulkAction();
  const real = useBulkAction();
  const [reason, setReason] = useState("");
  const reasonId = useId();
  const { mutate: preview } = dry;
  const verb = bulkVerb(action, tasks);

  useEffect(() => {
    // The dry run changes nothing; discard's reason is only required by the schema.
    preview({ filter, ids, action, dryRun: true, ...(action === "discard" ? { reason: "(preview)" } : {}) });
  }, [preview, filter, ids, action]);

  const okCount = dry.data?.results.filter((r) => r.ok).length ?? 0;
  const needsReason = action === "discard" && reason.trim() === "";
  const confirm = (): void => {
    real.mutate({ filter, ids, action, dryRun: false, ...(action === "discard" ? { reason: reason.trim() } : {}) }, { onSuccess: onClose });
  };
  const scope = ids ? `${ids.length} selected` : "all matching";

  return (
    <Dialog title={`${verb} ${scope}`} open onClose={onClose} wide>
      {dry.isPending && <p className="muted">Checking what this would change…</p>}
      {dry.error && (
        <p role="alert" className="banner banner-error small">
          {dry.error.message}
        </p>
      )}
      {dry.data && <Preview data={dry.data} action={action} />}
      {action === "discard" && (
        <div className="field">
          <label htmlFor={reasonId}>Reason</label>
          <textarea id={reasonId} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Why these letters need no replay" required />
        </div>
      )}
      {real.error && (
        <p role="alert" className="banner banner-error small">
          {real.error.message}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className={`button ${action === "discard" ? "button-danger" : "button-primary"}`} disabled={!dry.data || okCount === 0 || needsReason || real.isPending} onClick={confirm}>
          Confirm
        </button>
      </div>
    </Dialog>
  );
}
