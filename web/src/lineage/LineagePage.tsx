import type { DatasetSummary } from "../api/types";
import { navigate, useLocation } from "../router";
import { DatasetsTable } from "./DatasetsTable";
import { LineageGraph } from "./LineageGraph";
import { lineagePath } from "./lineagePaths";
import { useDatasetList, useLineageGraph } from "./useLineage";

/** The DAGs that write or read some dataset, for the graph's DAG filter. */
function dagIdsOf(datasets: DatasetSummary[]): string[] {
  const ids = new Set<string>();
  for (const d of datasets) for (const t of [...d.producers, ...d.consumers]) ids.add(t.dagId);
  return [...ids].sort();
}

/** `/lineage`: the graph of datasets and tasks across DAGs, and every dataset as a searchable table. */
export function LineagePage() {
  const { search } = useLocation();
  const dagId = search.get("dag") ?? undefined;
  const graph = useLineageGraph(dagId);
  const datasets = useDatasetList();
  const dagIds = dagIdsOf(datasets.data?.datasets ?? []);
  if (dagId && !dagIds.includes(dagId)) dagIds.unshift(dagId);

  return (
    <main className="page page-wide lineage-page">
      <div className="page-head">
        <h2 className="page-title">Lineage</h2>
      </div>

      <section className="card lineage-graph-card" aria-labelledby="lineage-graph-title">
        <div className="card-head">
          <h3 id="lineage-graph-title" className="section-title">
            Datasets and tasks
          </h3>
          <span className="muted small">Tasks write the datasets to their right and read those to their left.</span>
          <label className="small lineage-dag-filter">
            <span className="muted">DAG</span>
            <select value={dagId ?? ""} onChange={(e) => navigate(lineagePath(e.target.value || undefined))}>
              <option value="">All DAGs</option>
              {dagIds.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
        </div>
        {graph.error && (
          <p role="alert" className="banner banner-error small">
            {graph.error.message}
          </p>
        )}
        {graph.isPending ? (
          <p className="muted card-pad loading">Loading lineage…</p>
        ) : graph.data && graph.data.nodes.length === 0 ? (
          <div className="empty">
            <p className="empty-title">No lineage yet</p>
            <p className="muted">Tasks that declare inputs and outputs, or write through ctx.partitions and ctx.files, appear here.</p>
          </div>
        ) : graph.data ? (
          <LineageGraph key={dagId ?? ""} graph={graph.data} label={dagId ? `Lineage of ${dagId}` : "Lineage graph"} />
        ) : null}
      </section>

      {datasets.error && (
        <p role="alert" className="banner banner-error">
          {datasets.error.message}
        </p>
      )}
      {datasets.isPending ? <p className="muted loading">Loading datasets…</p> : datasets.data && <DatasetsTable datasets={datasets.data.datasets} />}
    </main>
  );
}
