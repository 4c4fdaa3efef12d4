import type { ImportError } from "../api/types";
import { relativeTime } from "../format/time";

/** DAG files that failed to load; their DAGs keep their last good version until fixed. */
export function ImportErrorsBanner({ errors }: { errors: ImportError[] }) {
  if (errors.length === 0) return null;
  const title = errors.length === 1 ? "1 DAG file failed to load" : `${errors.length} DAG files failed to load`;
  return (
    <section role="alert" aria-label="DAG import errors" className="banner banner-error">
      <h2 className="banner-title">
        <span aria-hidden="true">⚠ </span>
        {title}
      </h2>
      <ul className="import-errors">
        {errors.map((e) => (
          <li key={e.fileloc}>
            <div className="import-error-head">
              <code>{e.fileloc}</code>
              <time dateTime={e.createdAt} className="muted">
                {relativeTime(e.createdAt)}
              </time>
            </div>
            <pre className="import-error-message">{e.message}</pre>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** On a DAG's page: its file no longer loads, so what is shown is the last version that did. */
export function DagFileImportError({ error }: { error: ImportError }) {
  return (
    <section role="alert" aria-label={`Import error of ${error.fileloc}`} className="banner banner-error">
      <h3 className="banner-title">
        <span aria-hidden="true">⚠ </span>
        <code>{error.fileloc}</code> failed to load
        <time dateTime={error.createdAt} className="muted small">
          {" "}
          · {relativeTime(error.createdAt)}
        </time>
      </h3>
      <p className="small">This page shows the last version that loaded; new runs use it until the file is fixed.</p>
      <pre className="import-error-message">{error.message}</pre>
    </section>
  );
}
