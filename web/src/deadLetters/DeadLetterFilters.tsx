import { useEffect, useId, useRef, useState } from "react";
import type { DeadLetterCountsResponse } from "../api/types";
import { DEAD_LETTER_STATUS_STYLE } from "./deadLetterStyle";
import { STATUS_CHOICES, type PageFilter } from "./deadLetterFilter";

/** A text filter that commits to the URL a moment after typing stops (or on Enter). */
function TextFilter({ label, value, onCommit, placeholder }: { label: string; value: string; onCommit: (v: string) => void; placeholder?: string }) {
  const id = useId();
  const [text, setText] = useState(value);
  const commit = useRef(onCommit);
  commit.current = onCommit;
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text.trim() === value) return;
    const timer = setTimeout(() => commit.current(text.trim()), 350);
    return () => clearTimeout(timer);
  }, [text, value]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="search" value={text} placeholder={placeholder} onChange={(e) => setText(e.target.value)} onKeyDown={(e) => e.key === "Enter" && onCommit(text.trim())} />
    </div>
  );
}

/** DAG, task, partition, error text, status and age filters; every change goes to the URL. */
export function DeadLetterFilters({ filter, counts, onChange }: { filter: PageFilter; counts: DeadLetterCountsResponse | undefined; onChange: (changes: Partial<PageFilter>) => void }) {
  const ids = { dag: useId(), task: useId(), status: useId(), older: useId() };
  const all = counts?.counts ?? [];
  const dags = [...new Set([...all.map((c) => c.dagId), ...(filter.dagId ? [filter.dagId] : [])])].sort();
  const tasks = [...new Set([...all.filter((c) => c.dagId === filter.dagId).map((c) => c.taskId), ...(filter.taskId ? [filter.taskId] : [])])].sort();
  const active = filter.dagId || filter.taskId || filter.partition || filter.q || filter.olderThan || filter.status !== "open";
  return (
    <form className="dl-filters card" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={ids.dag}>DAG</label>
        <select id={ids.dag} value={filter.dagId} onChange={(e) => onChange({ dagId: e.target.value, taskId: "" })}>
          <option value="">Any DAG</option>
          {dags.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.task}>Task</label>
        <select id={ids.task} value={filter.taskId} disabled={!filter.dagId && !filter.taskId} onChange={(e) => onChange({ taskId: e.target.value })}>
          <option value="">Any task</option>
          {tasks.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <TextFilter label="Partition" value={filter.partition} placeholder="2024-01-01" onCommit={(partition) => onChange({ partition })} />
      <TextFilter label="Error contains" value={filter.q} placeholder="amount" onCommit={(q) => onChange({ q })} />
      <div className="field">
        <label htmlFor={ids.status}>Status</label>
        <select id={ids.status} value={filter.status} onChange={(e) => onChange({ status: e.target.value as PageFilter["status"] })}>
          {STATUS_CHOICES.map((s) => (
            <option key={s} value={s}>
              {s === "all" ? "Any status" : DEAD_LETTER_STATUS_STYLE[s].label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.older}>Older than</label>
        <input id={ids.older} type="date" value={filter.olderThan} onChange={(e) => onChange({ olderThan: e.target.value })} />
      </div>
      {active && (
        <button type="button" className="button button-ghost dl-clear" onClick={() => onChange({ dagId: "", taskId: "", partition: "", q: "", status: "open", olderThan: "" })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
