import { useQuery } from "@tanstack/react-query";
import { fetchJson, query } from "../api/fetchJson";
import type { LogPage } from "../api/types";

/** Lines shown of a failed try: the end of its log, where the failure is. */
const TAIL_LINES = 60;
const MAX_FETCHED = 5000;

/** The last lines of the log of the try a task letter records (the try that failed), as text. */
export function FailedTryLog({ taskInstanceId, tryNumber }: { taskInstanceId: number; tryNumber: number }) {
  const log = useQuery({
    queryKey: ["taskInstances", taskInstanceId, "log", tryNumber, "tail"],
    queryFn: ({ signal }) => fetchJson<LogPage>(`/api/task-instances/${taskInstanceId}/logs${query({ try: tryNumber, limit: MAX_FETCHED })}`, { signal }),
  });
  const lines = log.data?.lines ?? [];
  const tail = lines.slice(-TAIL_LINES);
  return (
    <section className="dl-failed-log" aria-label={`Log of try ${tryNumber}`}>
      <h3 className="section-title">
        Log of try {tryNumber}
        {lines.length > tail.length && <span className="muted small"> · last {tail.length} of {log.data?.hasMore ? `${lines.length}+` : lines.length} lines</span>}
      </h3>
      {log.isError ? (
        <p role="alert" className="small">
          Could not load the log: {log.error.message}
        </p>
      ) : log.isPending ? (
        <p className="muted small">Loading…</p>
      ) : tail.length === 0 ? (
        <p className="muted small">This try logged nothing.</p>
      ) : (
        <pre className="log" tabIndex={0}>
          {tail.map((l) => (
            <span key={l.id} className={`log-line level-${l.level}`}>
              <span className="log-ts">{l.ts.slice(11, 23)}</span> <span className="log-level">{l.level.toUpperCase().padEnd(5)}</span> {l.message}
              {"\n"}
            </span>
          ))}
        </pre>
      )}
    </section>
  );
}
