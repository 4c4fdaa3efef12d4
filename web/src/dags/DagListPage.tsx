import { useState } from "react";
import { DagTable } from "./DagTable";
import { ImportErrorsBanner } from "./ImportErrorsBanner";
import { DAG_LIST_POLL_MS, useDagList } from "./useDags";

/** The home page: import errors, then every DAG. */
export function DagListPage() {
  const { data, error, dataUpdatedAt } = useDagList();
  const [filter, setFilter] = useState("");
  const updatedAt = dataUpdatedAt ? new Date(dataUpdatedAt) : undefined;
  const needle = filter.trim().toLowerCase();
  const dags = data?.dags.filter((d) => !needle || d.dagId.toLowerCase().includes(needle)) ?? [];

  return (
    <main className="page">
      <div className="page-head">
        <h2 className="page-title">DAGs</h2>
        {data && <span className="count">{data.dags.length}</span>}
        {data && data.dags.length > 0 && (
          <input type="search" className="search" aria-label="Search DAGs" placeholder="Search DAGs…" value={filter} onChange={(e) => setFilter(e.target.value)} />
        )}
        {updatedAt && (
          <span className={`freshness muted ${error ? "stale" : ""}`}>
            <span className="pulse" aria-hidden="true" />
            Updated <time dateTime={updatedAt.toISOString()}>{updatedAt.toLocaleTimeString()}</time>
          </span>
        )}
      </div>

      {error && (
        <p role="status" className="banner banner-warning">
          Cannot reach the Runnel API ({error.message}). Retrying every {DAG_LIST_POLL_MS / 1000} s…
        </p>
      )}

      {data === undefined ? (
        !error && (
          <p role="status" className="muted loading">
            Loading DAGs…
          </p>
        )
      ) : (
        <>
          <ImportErrorsBanner errors={data.importErrors} />
          {data.dags.length === 0 ? (
            <div className="empty">
              <p className="empty-title">No DAGs yet</p>
              <p className="muted">
                Add a file to the DAGs folder (<code>dags/</code> by default, or <code>RUNNEL_DAGS_FOLDER</code>) that default-exports <code>defineDag(…)</code>; it appears here
                within seconds.
              </p>
            </div>
          ) : dags.length === 0 ? (
            <p className="muted">No DAG matches “{filter}”.</p>
          ) : (
            <DagTable dags={dags} />
          )}
        </>
      )}
    </main>
  );
}
