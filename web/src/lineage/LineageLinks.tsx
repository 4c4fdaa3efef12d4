import type { LineageTaskKey, Writer } from "../api/types";
import { relativeTime, utcDateTime } from "../format/time";
import { dagPath, Link, runPath } from "../router";
import { datasetPath, partitionPath, taskInstancePath, taskKeyLabel, UNPARTITIONED } from "./lineagePaths";

/** A dataset's page, named by its URI. */
export function DatasetLink({ uri, className }: { uri: string; className?: string }) {
  return (
    <Link to={datasetPath(uri)} className={`dataset-link mono ${className ?? ""}`} title={uri}>
      {uri}
    </Link>
  );
}

/**
 * A partition's page, named "<uri> partition <partition>". An unpartitioned dataset has no
 * partition page (the API needs a partition): its dataset page stands in.
 */
export function PartitionLink({ uri, partition }: { uri: string; partition: string | null }) {
  return (
    <Link to={partition === null ? datasetPath(uri) : partitionPath(uri, partition)} className="partition-link">
      <span className="mono dataset-uri" title={uri}>
        {uri}
      </span>
      <span className="sr-only"> partition </span>
      <span className="partition-chip mono">{partition ?? UNPARTITIONED}</span>
    </Link>
  );
}

/** Tasks as links to their DAGs, `dagId.taskId`. */
export function TaskKeyLinks({ tasks, label }: { tasks: LineageTaskKey[]; label: string }) {
  if (tasks.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="task-key-list" aria-label={label}>
      {tasks.map((t) => (
        <li key={taskKeyLabel(t)}>
          <Link to={dagPath(t.dagId)} className="mono small">
            {taskKeyLabel(t)}
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** The run of a write, or a dash when it is gone. */
export function WriterRunLink({ writer }: { writer: Writer | null }) {
  if (!writer || writer.dagRunId === null) return <span className="muted">—</span>;
  return (
    <Link to={runPath(writer.dagRunId)} className="mono small truncate run-link" title={writer.runId ?? undefined}>
      {writer.runId ?? `run ${writer.dagRunId}`}
    </Link>
  );
}

/** The task (instance) of a write. */
export function WriterTaskLink({ writer }: { writer: Writer | null }) {
  if (!writer) return <span className="muted">deleted</span>;
  return (
    <Link to={taskInstancePath(writer.dagId, writer.taskInstanceId, writer.dagRunId)} className="mono small">
      {taskKeyLabel(writer)}
      {writer.tryNumber !== null && <span className="muted"> · try {writer.tryNumber}</span>}
    </Link>
  );
}

/** A checksum shortened to its head; the whole value in the tooltip and for screen readers. */
export function Checksum({ value }: { value: string | null }) {
  if (value === null) return <span className="muted">—</span>;
  // Keep an algorithm prefix ("sha256:") whole: the digits are what tell two checksums apart.
  const colon = value.indexOf(":");
  const [algo, digits] = colon > 0 && colon < 12 ? [value.slice(0, colon + 1), value.slice(colon + 1)] : ["", value];
  const short = digits.length > 10 ? `${algo}${digits.slice(0, 10)}…` : value;
  return (
    <span className="mono small checksum" title={value}>
      <span aria-hidden="true">{short}</span>
      <span className="sr-only">{value}</span>
    </span>
  );
}

/** "3 h ago" with the UTC time in the tooltip. */
export function WrittenAt({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={utcDateTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

/** A row count with thousands separators. */
export const rowsLabel = (rows: number | null): string => (rows === null ? "—" : rows.toLocaleString("en-US"));
