import type { DatasetDetailResponse, DatasetPartition } from "../api/types";
import { utcDateTime } from "../format/time";
import { dagPath, Link, useLocation } from "../router";
import { CheckTrend } from "./CheckTrend";
import { Checksum, rowsLabel, TaskKeyLinks, WriterRunLink, WriterTaskLink, WrittenAt } from "./LineageLinks";
import { partitionPath, UNPARTITIONED } from "./lineagePaths";
import { useDataset } from "./useLineage";

function PartitionCell({ uri, p }: { uri: string; p: DatasetPartition }) {
  if (p.partition === null) return <span className="mono muted">{UNPARTITIONED}</span>;
  return (
    <Link to={partitionPath(uri, p.partition)} className="mono" aria-label={`Partition ${p.partition}`}>
      {p.partition}
    </Link>
  );
}

function PartitionsTable({ d }: { d: DatasetDetailResponse }) {
  return (
    <section className="card lineage-section" aria-labelledby="lineage-partitions-title">
      <div className="card-head">
        <h3 id="lineage-partitions-title" className="section-title">
          Partitions
        </h3>
        <span className="count">{d.partitionCount}</span>
        {d.partitions.length < d.partitionCount && <span className="muted small">newest {d.partitions.length} shown</span>}
      </div>
      {d.partitions.length === 0 ? (
        <p className="muted card-pad">Never written through Runnel.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table compact lineage-table" aria-label="Partitions">
            <thead>
              <tr>
                <th scope="col">Partition</th>
                <th scope="col">Last written</th>
                <th scope="col">By run</th>
                <th scope="col">Task</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col">Checksum</th>
                <th scope="col" className="num">
                  Rewrites
                </th>
              </tr>
            </thead>
            <tbody>
              {d.partitions.map((p) => (
                <tr key={p.partition ?? UNPARTITIONED}>
                  <th scope="row">
                    <PartitionCell uri={d.uri} p={p} />
                  </th>
                  <td>
                    <WrittenAt iso={p.writtenAt} />
                  </td>
                  <td>
                    <WriterRunLink writer={p.writer} />
                  </td>
                  <td>
                    <WriterTaskLink writer={p.writer} />
                  </td>
                  <td className="num">{rowsLabel(p.rowCount)}</td>
                  <td>
                    <Checksum value={p.checksum} />
                  </td>
                  <td className="num" title={`written ${p.writes} time${p.writes === 1 ? "" : "s"} in all`}>
                    {p.writes > 1 ? <span className="rewrites">{p.writes - 1}</span> : <span className="muted">0</span>}
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

function Facts({ d }: { d: DatasetDetailResponse }) {
  return (
    <dl className="facts card lineage-facts">
      <div>
        <dt>Partitions</dt>
        <dd>{d.partitionCount}</dd>
      </div>
      <div>
        <dt>Last write</dt>
        <dd>{d.lastWrite ? <span title={utcDateTime(d.lastWrite.writtenAt)}>{utcDateTime(d.lastWrite.writtenAt)}</span> : <span className="muted">never</span>}</dd>
      </div>
      <div>
        <dt>Producers</dt>
        <dd>
          <TaskKeyLinks tasks={d.producers} label="Producers" />
        </dd>
      </div>
      <div>
        <dt>Consumers</dt>
        <dd>
          <TaskKeyLinks tasks={d.consumers} label="Consumers" />
        </dd>
      </div>
      <div>
        <dt>Triggers DAGs</dt>
        <dd>
          {d.scheduledDags.length === 0 ? (
            <span className="muted">—</span>
          ) : (
            <ul className="task-key-list" aria-label="Scheduled DAGs">
              {d.scheduledDags.map((dagId) => (
                <li key={dagId}>
                  <Link to={dagPath(dagId)} className="mono small">
                    {dagId}
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </div>
    </dl>
  );
}

/** `/lineage/dataset?uri=`: who writes and reads a dataset, its partitions and its check results. */
export function DatasetPage({ uri }: { uri: string }) {
  const dataset = useDataset(uri);
  const d = dataset.data;
  return (
    <main className="page page-wide lineage-page">
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/lineage">Lineage</Link>
        <span aria-hidden="true"> / </span>
        <span aria-current="page" className="mono">
          {uri}
        </span>
      </nav>
      <div className="page-head">
        <h2 className="page-title lineage-title">
          <span className="muted lineage-title-kind">Dataset</span> <span className="mono">{uri}</span>
        </h2>
      </div>
      {dataset.error && (
        <p role="alert" className="banner banner-error">
          {dataset.error.message}
        </p>
      )}
      {dataset.isPending && <p className="muted loading">Loading dataset…</p>}
      {d && (
        <>
          <Facts d={d} />
          <CheckTrend uri={d.uri} checks={d.checks} />
          <PartitionsTable d={d} />
        </>
      )}
    </main>
  );
}

/** The route: the dataset named by `?uri=`. */
export function DatasetRoute() {
  const uri = useLocation().search.get("uri");
  if (!uri) return <MissingParam what="a dataset URI (?uri=)" />;
  return <DatasetPage key={uri} uri={uri} />;
}

export function MissingParam({ what }: { what: string }) {
  return (
    <main className="page">
      <p role="alert" className="banner banner-error">
        This page needs {what}.
      </p>
      <p>
        <Link to="/lineage">Back to Lineage</Link>
      </p>
    </main>
  );
}
