import type { PartitionWrite } from "../api/types";
import { utcDateTime } from "../format/time";
import { Link, useLocation } from "../router";
import { MissingParam } from "./DatasetPage";
import { DownstreamImpact } from "./DownstreamImpact";
import { Checksum, DatasetLink, rowsLabel, WriterRunLink, WriterTaskLink } from "./LineageLinks";
import { ReprocessButton } from "./ReprocessDialog";
import { UpstreamTree } from "./UpstreamTree";
import { usePartition } from "./useLineage";

function HistoryTable({ history }: { history: PartitionWrite[] }) {
  return (
    <section className="card lineage-section" aria-labelledby="lineage-history-title">
      <div className="card-head">
        <h3 id="lineage-history-title" className="section-title">
          Writes
        </h3>
        <span className="count">{history.length}</span>
        <span className="muted small">Newest first</span>
      </div>
      {history.length === 0 ? (
        <p className="muted card-pad">Read, but never written through Runnel.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table compact lineage-table" aria-label="Write history">
            <thead>
              <tr>
                <th scope="col">Written</th>
                <th scope="col">By run</th>
                <th scope="col">Task</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col">Checksum</th>
              </tr>
            </thead>
            <tbody>
              {history.map((w) => (
                <tr key={w.eventId}>
                  <td>
                    <time dateTime={w.writtenAt}>{utcDateTime(w.writtenAt)}</time>
                  </td>
                  <td>
                    <WriterRunLink writer={w.writer} />
                  </td>
                  <td>
                    <WriterTaskLink writer={w.writer} />
                  </td>
                  <td className="num">{rowsLabel(w.rowCount)}</td>
                  <td>
                    <Checksum value={w.checksum} />
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

/** `/lineage/partition?uri=&partition=`: a partition's writes, what it came from, what depends on it, and Reprocess downstream. */
export function PartitionPage({ uri, partition }: { uri: string; partition: string }) {
  const detail = usePartition(uri, partition);
  const p = detail.data;
  return (
    <main className="page page-wide lineage-page">
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/lineage">Lineage</Link>
        <span aria-hidden="true"> / </span>
        <DatasetLink uri={uri} />
        <span aria-hidden="true"> / </span>
        <span aria-current="page" className="mono">
          {partition}
        </span>
      </nav>
      <div className="page-head dag-head">
        <h2 className="page-title lineage-title">
          <span className="muted lineage-title-kind">Partition</span> <span className="mono">{partition}</span> <span className="muted lineage-title-kind">of</span>{" "}
          <span className="mono">{uri}</span>
        </h2>
        {p && (
          <div className="head-actions">
            <ReprocessButton uri={uri} partition={partition} impacted={p.downstream.tasks.length} />
          </div>
        )}
      </div>
      {detail.error && (
        <p role="alert" className="banner banner-error">
          {detail.error.message}
        </p>
      )}
      {detail.isPending && <p className="muted loading">Loading partition…</p>}
      {p && (
        <>
          <div className="lineage-columns">
            <UpstreamTree upstream={p.upstream} />
            <DownstreamImpact impact={p.downstream} />
          </div>
          <HistoryTable history={p.history} />
        </>
      )}
    </main>
  );
}

/** The route: the partition named by `?uri=&partition=`. */
export function PartitionRoute() {
  const { search } = useLocation();
  const uri = search.get("uri");
  const partition = search.get("partition");
  if (!uri || !partition) return <MissingParam what="a dataset URI and a partition (?uri=&partition=)" />;
  return <PartitionPage key={JSON.stringify([uri, partition])} uri={uri} partition={partition} />;
}
