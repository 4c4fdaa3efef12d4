import { useId } from "react";
import type { DagDetail } from "../api/types";
import { utcDateTime } from "../format/time";
import { navigate, withSearch } from "../router";
import { useRun } from "../runs/useRuns";
import { useDagVersion } from "./useDags";

/**
 * The DAG file's source as text, at the version the selected run (`?run=`) used, or at the
 * version picked (`?version=`), else the latest.
 */
export function CodeView({ dag, selectedRun, selectedVersion }: { dag: DagDetail; selectedRun: string | undefined; selectedVersion: string | undefined }) {
  const id = useId();
  const run = useRun(selectedVersion ? undefined : selectedRun);
  const versionId = selectedVersion ? Number(selectedVersion) : (run.data?.versionId ?? dag.versionId);
  const version = useDagVersion(dag.dagId, versionId === dag.versionId ? undefined : versionId);
  const shown = versionId === dag.versionId ? dag : version.data;
  return (
    <div className="card">
      <div className="card-head graph-head">
        <label htmlFor={id} className="small">
          Version
        </label>
        <select id={id} className="run-picker" value={String(versionId)} onChange={(e) => navigate(withSearch({ version: e.target.value, run: undefined }), { replace: true })}>
          {dag.versions.map((v, i) => (
            <option key={v.versionId} value={String(v.versionId)}>
              v{dag.versions.length - i} · {utcDateTime(v.createdAt)}
              {i === 0 ? " · latest" : ""}
            </option>
          ))}
        </select>
        {run.data && !selectedVersion && <span className="muted small">the version run {run.data.runId} used</span>}
        <code className="small">{shown?.fileloc ?? dag.fileloc}</code>
      </div>
      {!shown ? (
        <p className="muted card-pad loading">Loading source…</p>
      ) : shown.source !== "" ? (
        <pre className="code" aria-label={`Source of ${dag.dagId}`} tabIndex={0}>
          {shown.source}
        </pre>
      ) : (
        <p className="muted card-pad">The source of this DAG is not stored.</p>
      )}
    </div>
  );
}
