import { useState } from "react";
import type { DatasetSummary } from "../api/types";
import { DatasetLink, rowsLabel, TaskKeyLinks, WrittenAt } from "./LineageLinks";
import { taskKeyLabel, UNPARTITIONED } from "./lineagePaths";

/** Whether `d` matches the search text: its URI, or a producer's or consumer's `dagId.taskId`. */
function matches(d: DatasetSummary, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (!needle) return true;
  const haystack = [d.uri, ...d.producers.map(taskKeyLabel), ...d.consumers.map(taskKeyLabel), ...d.scheduledDags];
  return haystack.some((s) => s.toLowerCase().includes(needle));
}

function LastWrite({ d }: { d: DatasetSummary }) {
  const w = d.lastWrite;
  if (!w) return <span className="muted">never written</span>;
  return (
    <span className="last-write">
      <WrittenAt iso={w.writtenAt} />
      <span className="muted small">
        <span className="mono">{w.partition ?? UNPARTITIONED}</span>
        {w.rowCount !== null && ` · ${rowsLabel(w.rowCount)} rows`}
      </span>
    </span>
  );
}

/** Every dataset, searchable by URI or task, with its last write, partitions, producers and consumers. */
export function DatasetsTable({ datasets }: { datasets: DatasetSummary[] }) {
  const [filter, setFilter] = useState("");
  const rows = datasets.filter((d) => matches(d, filter));
  return (
    <section className="card" aria-labelledby="lineage-datasets-title">
      <div className="card-head">
        <h3 id="lineage-datasets-title" className="section-title">
          Datasets
        </h3>
        <span className="count">{datasets.length}</span>
        <input type="search" className="search lineage-search" aria-label="Search datasets" placeholder="Search datasets or tasks…" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </div>
      {rows.length === 0 ? (
        <p className="muted card-pad">{datasets.length === 0 ? "No datasets yet: declare inputs and outputs on tasks, or write through ctx.partitions or ctx.files." : `No dataset matches “${filter}”.`}</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table lineage-table" aria-label="Datasets">
            <thead>
              <tr>
                <th scope="col">Dataset</th>
                <th scope="col">Last write</th>
                <th scope="col" className="num">
                  Partitions
                </th>
                <th scope="col">Producers</th>
                <th scope="col">Consumers</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.uri}>
                  <th scope="row" className="uri-cell">
                    <DatasetLink uri={d.uri} />
                  </th>
                  <td>
                    <LastWrite d={d} />
                  </td>
                  <td className="num">{d.partitionCount}</td>
                  <td>
                    <TaskKeyLinks tasks={d.producers} label={`Producers of ${d.uri}`} />
                  </td>
                  <td>
                    <TaskKeyLinks tasks={d.consumers} label={`Consumers of ${d.uri}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
