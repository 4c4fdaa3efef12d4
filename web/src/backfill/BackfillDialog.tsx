import { useEffect, useId, useMemo, useState, type FormEvent } from "react";
import type { BackfillPlan, BackfillRange, BackfillRequest, DagDetail, ReprocessMode } from "../api/types";
import { logicalDateLabel } from "../format/time";
import { backfillPath, navigate } from "../router";
import { Dialog } from "../ui/Dialog";
import { useBackfillPreview, useCreateBackfill } from "./useBackfills";

/** Fields a caller can prefill (e.g. the Grid's "Retry failed" over a range of runs). */
export interface BackfillPrefill {
  from?: string;
  to?: string;
  reprocess?: ReprocessMode;
}

const REPROCESS: { mode: ReprocessMode; label: string; hint: string }[] = [
  { mode: "missing", label: "Missing", hint: "only dates with no run" },
  { mode: "failed", label: "Failed", hint: "also clear failed tasks of existing runs" },
  { mode: "all", label: "All", hint: "clear and rerun every date" },
];

/** How many dates of each group the preview lists before "and N more". */
const SHOWN_DATES = 62;

/** `value` once it has stopped changing for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

function DateGroup({ title, dates, tone }: { title: string; dates: string[]; tone: string }) {
  const id = useId();
  if (dates.length === 0) return null;
  const shown = dates.slice(0, SHOWN_DATES);
  return (
    <div className="plan-group">
      <h4 id={id} className={`plan-group-title ${tone}`}>
        {title} <span className="count">{dates.length}</span>
      </h4>
      <ul className="date-chips" aria-labelledby={id}>
        {shown.map((d) => (
          <li key={d} className="date-chip mono">
            {logicalDateLabel(d)}
          </li>
        ))}
      </ul>
      {dates.length > shown.length && <p className="muted small">… and {dates.length - shown.length} more</p>}
    </div>
  );
}

/** Which part of the requested range the DAG's startDate/endDate left out (the server clipped it). */
function OutsideDates({ range }: { range: BackfillRange }) {
  const before = range.beforeStartDate;
  const after = range.afterEndDate;
  if (!before && !after) return null;
  return (
    <div className="banner banner-warning small" role="note" aria-label="Outside the DAG's dates">
      <p>
        Not backfilled, outside the DAG&apos;s dates:
        {before && ` ${logicalDateLabel(before.from)} up to its start date ${logicalDateLabel(before.to)}`}
        {before && after && ";"}
        {after && ` after its end date ${logicalDateLabel(after.from)} up to ${logicalDateLabel(after.to)}`}.
      </p>
      <p>
        Backfilling {logicalDateLabel(range.backfilled.from)} to {logicalDateLabel(range.backfilled.to)}.
      </p>
    </div>
  );
}

function Plan({ plan, range }: { plan: BackfillPlan; range: BackfillRange | undefined }) {
  const runs = plan.create.length + plan.clear.length;
  return (
    <section className="plan" aria-label="Preview">
      {range && <OutsideDates range={range} />}
      <p className="plan-summary" role="status">
        <strong>
          {runs} run{runs === 1 ? "" : "s"}
        </strong>{" "}
        will run: {plan.create.length} to create, {plan.clear.length} to clear, {plan.skip.length} left alone.
      </p>
      <DateGroup title="Dates to create" dates={plan.create} tone="tone-create" />
      <DateGroup title="Runs to clear" dates={plan.clear} tone="tone-clear" />
      <DateGroup title="Dates skipped" dates={plan.skip} tone="tone-skip" />
    </section>
  );
}

/** Range, reprocess mode and max active runs, the dry-run preview, then Start backfill. */
function BackfillForm({ dag, prefill, onClose }: { dag: DagDetail; prefill: BackfillPrefill; onClose: () => void }) {
  const [from, setFrom] = useState(prefill.from ?? "");
  const [to, setTo] = useState(prefill.to ?? "");
  const [reprocess, setReprocess] = useState<ReprocessMode>(prefill.reprocess ?? "missing");
  const [maxActiveRuns, setMaxActiveRuns] = useState("4");
  const [order, setOrder] = useState<"oldest" | "newest">("oldest");
  const create = useCreateBackfill(dag.dagId);

  const body = useMemo<BackfillRequest | undefined>(() => {
    if (!from || !to) return undefined;
    const max = maxActiveRuns.trim() === "" ? undefined : Number(maxActiveRuns);
    return { from, to, reprocess, order, ...(max === undefined ? {} : { maxActiveRuns: max }) };
  }, [from, to, reprocess, maxActiveRuns, order]);
  const settled = useDebounced(body, 250);
  const preview = useBackfillPreview(dag.dagId, settled);
  const current = settled === body && !preview.isPlaceholderData && !preview.isFetching;
  const plan = preview.data?.plan;
  const runs = plan ? plan.create.length + plan.clear.length : 0;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (!body) return;
    create.mutate(body, {
      onSuccess: (answer) => {
        onClose();
        if (answer.backfill) navigate(backfillPath(answer.backfill.id));
      },
    });
  };
  const error = create.error ?? (body ? preview.error : null);

  return (
    <form onSubmit={submit} className="form">
      <div className="field-row">
        <div className="field">
          <label htmlFor="backfill-from">From</label>
          <input id="backfill-from" type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="backfill-to">To</label>
          <input id="backfill-to" type="date" required value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
      </div>
      <fieldset className="fieldset">
        <legend>Reprocess</legend>
        <div className="radio-options">
          {REPROCESS.map((r) => (
            <div key={r.mode} className="radio-option">
              <input id={`reprocess-${r.mode}`} type="radio" name="reprocess" value={r.mode} checked={reprocess === r.mode} onChange={() => setReprocess(r.mode)} aria-describedby={`reprocess-${r.mode}-hint`} />
              <label htmlFor={`reprocess-${r.mode}`}>{r.label}</label>
              <span id={`reprocess-${r.mode}-hint`} className="muted small">
                {r.hint}
              </span>
            </div>
          ))}
        </div>
      </fieldset>
      <div className="field-row">
        <div className="field">
          <label htmlFor="backfill-max-active">Max active runs</label>
          <input id="backfill-max-active" type="number" min={1} max={1000} step={1} value={maxActiveRuns} onChange={(e) => setMaxActiveRuns(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="backfill-order">Order</label>
          <select id="backfill-order" value={order} onChange={(e) => setOrder(e.target.value as "oldest" | "newest")}>
            <option value="oldest">Oldest first</option>
            <option value="newest">Newest first</option>
          </select>
        </div>
      </div>

      {!body ? (
        <p className="muted small plan-empty">Pick a range to see which dates would run.</p>
      ) : error ? (
        <p role="alert" className="banner banner-error small">
          {error.message}
        </p>
      ) : plan ? (
        <div className={current ? "" : "plan-stale"} aria-busy={!current}>
          <Plan plan={plan} range={preview.data?.range} />
        </div>
      ) : (
        <p className="muted small loading">Checking what this would run…</p>
      )}

      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={!current || !plan || preview.isError || runs === 0 || create.isPending}>
          Start backfill
        </button>
      </div>
    </form>
  );
}

/** The Backfill dialog of a DAG; the form starts afresh (from `prefill`) each time it opens. */
export function BackfillDialog({ dag, open, prefill, onClose }: { dag: DagDetail; open: boolean; prefill: BackfillPrefill; onClose: () => void }) {
  return (
    <Dialog title={`Backfill ${dag.dagId}`} open={open} onClose={onClose} wide>
      {open && <BackfillForm dag={dag} prefill={prefill} onClose={onClose} />}
    </Dialog>
  );
}
