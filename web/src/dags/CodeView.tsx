import type { DagDetail } from "../api/types";

/** The DAG file's source, as text. */
export function CodeView({ dag }: { dag: DagDetail }) {
  return (
    <div className="card">
      <div className="card-head">
        <code>{dag.fileloc}</code>
      </div>
      {dag.source !== "" ? (
        <pre className="code" aria-label={`Source of ${dag.dagId}`} tabIndex={0}>
          {dag.source}
        </pre>
      ) : (
        <p className="muted card-pad">The source of this DAG is not stored.</p>
      )}
    </div>
  );
}
