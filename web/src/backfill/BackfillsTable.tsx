import type { Backfill } from "../api/types";
import { logicalDateLabel, relativeTime } from "../format/time";
import { backfillPath, dagPath, Link } from "../router";
import { BackfillProgressBar } from "./BackfillProgressBar";
import { BackfillStateBadge } from "./BackfillStateBadge";
import { useBackfillList } from "./useBackfills";

export const rangeLabel = (b: Pick<Backfill, "from" | "to">): string => `${logicalDateLabel(b.from)} → ${logicalDateLabel(b.to)}`;

/** Backfills, newest first: of one DAG (its Backfills tab) or of all DAGs (the Backfills page). */
export function BackfillsTable({ dagId }: { dagId?: string }) {
  const list = useBackfillList(dagId);
  const rows = list.data?.backfills ?? [];
  return (
    <div className="card">
      {list.error && (
        <p role="alert" className="banner banner-error small">
          {list.error.message}
        </p>
      )}
      {list.isPending ? (
        <p className="muted card-pad loading">Loading backfills…</p>
      ) : rows.length === 0 ? (
        <div className="empty">
          <p className="empty-title">No backfills yet</p>
          <p className="muted">Use Backfill on a DAG&apos;s page to run it over a range of past dates.</p>
        </div>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label={dagId ? `Backfills of ${dagId}` : "Backfills"}>
            <thead>
              <tr>
                <th scope="col">Backfill</th>
                {!dagId && <th scope="col">DAG</th>}
                <th scope="col">Range</th>
                <th scope="col">Reprocess</th>
                <th scope="col">State</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => (
                <tr key={b.id}>
                  <td>
                    <Link to={backfillPath(b.id)}>Backfill #{b.id}</Link>
                  </td>
                  {!dagId && (
                    <td>
                      <Link to={dagPath(b.dagId)} className="mono">
                        {b.dagId}
                      </Link>
                    </td>
                  )}
                  <td className="mono small">{rangeLabel(b)}</td>
                  <td>{b.reprocess}</td>
                  <td>
                    <BackfillStateBadge state={b.state} />
                  </td>
                  <td className="progress-cell">
                    <BackfillProgressBar progress={b.progress} compact />
                  </td>
                  <td className="muted small" title={b.createdAt}>
                    {relativeTime(b.createdAt)}
                    {b.createdBy ? ` by ${b.createdBy}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** `/backfills`: every DAG's backfills. */
export function BackfillListPage() {
  return (
    <main className="page page-wide">
      <div className="page-head">
        <h2 className="page-title">Backfills</h2>
      </div>
      <BackfillsTable />
    </main>
  );
}
