import { useState } from "react";
import type { DeadLetter, DeadLetterCountsResponse, DeadLetterFilter } from "../api/types";
import { useCurrentUser } from "../auth/useAuth";
import { relativeTime, utcDateTime } from "../format/time";
import { Link, dagPath, navigate, runPath, useLocation, withSearch } from "../router";
import { BulkActionDialog, bulkVerb, type BulkAction } from "./BulkActionDialog";
import { DeadLetterFilters } from "./DeadLetterFilters";
import { apiFilter, readPageFilter, searchChanges, VIEW_KIND, type DeadLetterView, type PageFilter } from "./deadLetterFilter";
import { DeadLetterStatusBadge } from "./StatusBadge";
import { useDeadLetterCounts, useDeadLetterList } from "./useDeadLetters";

export const deadLetterPath = (id: number | string): string => `/dead-letters/${encodeURIComponent(String(id))}`;

/** Whether the signed-in user may act (operators and admins); viewers see actions disabled. */
export function useCanOperate(): boolean {
  const me = useCurrentUser();
  return me.data?.role === "operator" || me.data?.role === "admin";
}

const VIEW_LABEL: Record<DeadLetterView, string> = { records: "Records", tasks: "Failed tasks" };

/** Open letters per DAG and task of one view; a click filters the table to them. */
function CountsCard({ counts, view, filter, onPick }: { counts: DeadLetterCountsResponse | undefined; view: DeadLetterView; filter: PageFilter; onPick: (dagId: string, taskId: string) => void }) {
  const rows = (counts?.counts ?? []).filter((c) => c.kind === VIEW_KIND[view] && c.status === "open");
  const byDag = new Map<string, { total: number; tasks: Array<{ taskId: string; count: number }> }>();
  for (const r of rows) {
    const entry = byDag.get(r.dagId) ?? { total: 0, tasks: [] };
    entry.total += r.count;
    entry.tasks.push({ taskId: r.taskId, count: r.count });
    byDag.set(r.dagId, entry);
  }
  return (
    <section className="card dl-counts" aria-label="Open letters by DAG and task">
      <div className="card-head">
        <h3 className="section-title">Open by DAG / task</h3>
      </div>
      {byDag.size === 0 ? (
        <p className="muted small card-pad">Nothing open.</p>
      ) : (
        <ul className="dl-count-list">
          {[...byDag.entries()].map(([dagId, entry]) => (
            <li key={dagId}>
              <button type="button" className="dl-count" aria-pressed={filter.dagId === dagId && !filter.taskId} onClick={() => onPick(dagId, "")}>
                <span className="mono truncate">{dagId}</span>
                <span className="count">{entry.total}</span>
              </button>
              <ul>
                {entry.tasks.map((t) => (
                  <li key={t.taskId}>
                    <button type="button" className="dl-count dl-count-task" aria-pressed={filter.dagId === dagId && filter.taskId === t.taskId} onClick={() => onPick(dagId, t.taskId)}>
                      <span className="mono truncate">{t.taskId}</span>
                      <span className="count">{t.count}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The most common open error texts of one view; a click filters the table to that text. */
function ErrorCountsCard({ counts, view, filter, onPick }: { counts: DeadLetterCountsResponse | undefined; view: DeadLetterView; filter: PageFilter; onPick: (q: string) => void }) {
  const rows = (counts?.errors ?? []).filter((e) => e.kind === VIEW_KIND[view]);
  if (rows.length === 0) return null;
  return (
    <section className="card dl-counts" aria-label="Open letters by error">
      <div className="card-head">
        <h3 className="section-title">Open by error</h3>
      </div>
      <ul className="dl-count-list">
        {rows.map((e) => (
          <li key={e.error}>
            <button type="button" className="dl-count dl-count-error" aria-pressed={filter.q === e.error} title={e.error} onClick={() => onPick(filter.q === e.error ? "" : e.error)}>
              <span className="truncate">{e.error}</span>
              <span className="count">{e.count}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function LetterRow({ d, tasks, selected, onToggle }: { d: DeadLetter; tasks: boolean; selected: boolean; onToggle: () => void }) {
  return (
    <tr className={selected ? "row-selected" : undefined}>
      <td>
        <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`Select letter ${d.id}`} />
      </td>
      <th scope="row">
        <Link to={deadLetterPath(d.id)} aria-label={`Letter ${d.id}`}>
          #{d.id}
        </Link>
      </th>
      <td>
        <Link to={dagPath(d.dagId)} className="mono">
          {d.dagId}
        </Link>
        <span className="muted"> / </span>
        <span className="mono">{d.taskId}</span>
      </td>
      <td className="mono small">{d.partition ?? "—"}</td>
      {tasks ? (
        <td>
          {d.dagRunId !== null && d.taskInstanceId !== null ? (
            <Link to={`${runPath(d.dagRunId)}?ti=${d.taskInstanceId}`}>Run {d.dagRunId}</Link>
          ) : (
            "—"
          )}
          {d.tryNumber !== null && <span className="muted small"> · try {d.tryNumber}</span>}
        </td>
      ) : (
        <td className="mono small">{d.recordKey ?? "—"}</td>
      )}
      <td className="dl-error-cell" title={d.error}>
        <span className="error-inline">{d.error}</span>
      </td>
      <td>{d.attempts}</td>
      <td>
        <DeadLetterStatusBadge status={d.status} />
      </td>
      <td className="muted small" title={utcDateTime(d.createdAt)}>
        {relativeTime(d.createdAt)}
      </td>
    </tr>
  );
}

/** `/dead-letters`: invalid records and failed tasks to review, filter, replay or discard. */
export function DeadLettersPage() {
  const { search } = useLocation();
  const filter = readPageFilter(search);
  const tasks = filter.view === "tasks";
  const query = apiFilter(filter);
  const list = useDeadLetterList(query);
  const counts = useDeadLetterCounts("all");
  const openCounts = useDeadLetterCounts("open");
  const canOperate = useCanOperate();
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [bulk, setBulk] = useState<{ action: BulkAction; filter: DeadLetterFilter; ids: number[] | undefined } | null>(null);

  const rows = list.data?.deadLetters ?? [];
  const shownIds = rows.map((r) => r.id);
  const picked = shownIds.filter((id) => selected.has(id));
  const change = (changes: Partial<PageFilter>): void => {
    setSelected(new Set());
    navigate(withSearch(searchChanges(changes)), { replace: true });
  };
  const openOf = (kind: "record" | "task"): number => (openCounts.data?.counts ?? []).filter((c) => c.kind === kind).reduce((n, c) => n + c.count, 0);
  const toggle = (id: number): void => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const allPicked = rows.length > 0 && picked.length === rows.length;
  const startBulk = (action: BulkAction, onlySelected: boolean): void => setBulk({ action, filter: query, ids: onlySelected ? picked : undefined });
  const noRights = canOperate ? undefined : "Operators only";

  return (
    <main className="page page-wide">
      <div className="page-head">
        <h2 className="page-title">Dead letters</h2>
      </div>
      <div role="tablist" aria-label="Dead letter views" className="tabs">
        {(["records", "tasks"] as const).map((v) => (
          <button key={v} type="button" role="tab" id={`dl-tab-${v}`} aria-selected={filter.view === v} aria-controls="dl-panel" className="tab" onClick={() => change({ view: v, taskId: "" })}>
            {VIEW_LABEL[v]} <span className="count">{openOf(VIEW_KIND[v])}</span>
          </button>
        ))}
      </div>
      <section role="tabpanel" id="dl-panel" aria-labelledby={`dl-tab-${filter.view}`} className="dl-layout">
        <div className="stack gap">
          <CountsCard counts={counts.data} view={filter.view} filter={filter} onPick={(dagId, taskId) => change({ dagId, taskId })} />
          <ErrorCountsCard counts={openCounts.data} view={filter.view} filter={filter} onPick={(q) => change({ q })} />
        </div>
        <div className="stack gap">
          <DeadLetterFilters filter={filter} counts={counts.data} onChange={change} />
          <div className="card">
            <div className="card-head dl-bulk" role="toolbar" aria-label="Bulk actions">
              <span className="small muted">{picked.length > 0 ? `${picked.length} selected` : `${rows.length}${list.data?.nextCursor ? "+" : ""} shown`}</span>
              <button type="button" className="button" disabled={!canOperate || picked.length === 0} title={noRights} onClick={() => startBulk("replay", true)}>
                {bulkVerb("replay", tasks)} selected
              </button>
              <button type="button" className="button button-danger" disabled={!canOperate || picked.length === 0} title={noRights} onClick={() => startBulk("discard", true)}>
                {bulkVerb("discard", tasks)} selected
              </button>
              <span className="dl-bulk-sep" aria-hidden="true" />
              <button type="button" className="button" disabled={!canOperate || rows.length === 0} title={noRights} onClick={() => startBulk("replay", false)}>
                {bulkVerb("replay", tasks)} all matching
              </button>
              <button type="button" className="button button-danger" disabled={!canOperate || rows.length === 0} title={noRights} onClick={() => startBulk("discard", false)}>
                {bulkVerb("discard", tasks)} all matching
              </button>
            </div>
            {list.error && (
              <p role="alert" className="banner banner-error small">
                {list.error.message}
              </p>
            )}
            {list.isPending ? (
              <p className="muted card-pad loading">Loading dead letters…</p>
            ) : rows.length === 0 ? (
              <div className="empty">
                <p className="empty-title">{tasks ? "No failed tasks match" : "No records match"}</p>
                <p className="muted">Change the filters, or pick another status.</p>
              </div>
            ) : (
              <div className="table-scroll">
                <table className="data-table" aria-label={tasks ? "Failed tasks" : "Dead-lettered records"}>
                  <thead>
                    <tr>
                      <th scope="col">
                        <input type="checkbox" checked={allPicked} onChange={() => setSelected(allPicked ? new Set() : new Set(shownIds))} aria-label="Select all shown" />
                      </th>
                      <th scope="col">Letter</th>
                      <th scope="col">DAG / task</th>
                      <th scope="col">Partition</th>
                      <th scope="col">{tasks ? "Run" : "Key"}</th>
                      <th scope="col">Error</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Status</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((d) => (
                      <LetterRow key={d.id} d={d} tasks={tasks} selected={selected.has(d.id)} onToggle={() => toggle(d.id)} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        </div>
      </section>
      {bulk && (
        <BulkActionDialog
          action={bulk.action}
          filter={bulk.filter}
          ids={bulk.ids}
          tasks={tasks}
          onClose={() => {
            setBulk(null);
            setSelected(new Set());
          }}
        />
      )}
    </main>
  );
}
