import { lazy, Suspense, useState } from "react";
import { BackfillDialog, type BackfillPrefill } from "../backfill/BackfillDialog";
import { BackfillsTable } from "../backfill/BackfillsTable";
import { Link, navigate, useLocation, withSearch } from "../router";
import { RunsTable } from "../runs/RunsTable";
import { TaskInstancePanel } from "../taskInstances/TaskInstancePanel";
import { CodeView } from "./CodeView";
import { DagGantt } from "./DagGantt";
import { DagGrid } from "./DagGrid";
import { PauseSwitch } from "./PauseSwitch";
import { TriggerDialog } from "./TriggerDialog";
import { DagFileImportError } from "./ImportErrorsBanner";
import { useDag, useDagList } from "./useDags";

// React Flow and dagre are the biggest part of the bundle: load them with the Graph tab.
const DagGraph = lazy(() => import("./DagGraph").then((m) => ({ default: m.DagGraph })));

const TABS = [
  { id: "grid", label: "Grid" },
  { id: "graph", label: "Graph" },
  { id: "gantt", label: "Gantt" },
  { id: "runs", label: "Runs" },
  { id: "backfills", label: "Backfills" },
  { id: "code", label: "Code" },
] as const;
type TabId = (typeof TABS)[number]["id"];

/** One DAG: header with actions, then Grid / Graph / Gantt / Runs / Code; `?ti=` opens a task instance. */
export function DagPage({ dagId }: { dagId: string }) {
  const { search } = useLocation();
  const dag = useDag(dagId);
  const list = useDagList();
  const importError = dag.data ? list.data?.importErrors.find((e) => e.fileloc === dag.data.fileloc) : undefined;
  const [triggering, setTriggering] = useState(false);
  const [backfill, setBackfill] = useState<BackfillPrefill>();
  const tab: TabId = TABS.some((t) => t.id === search.get("tab")) ? (search.get("tab") as TabId) : "grid";
  const taskInstanceId = search.get("ti") ?? undefined;
  const selectedRun = search.get("run") ?? undefined;

  return (
    <main className="page page-wide">
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/">DAGs</Link>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{dagId}</span>
      </nav>
      <div className="page-head dag-head">
        <div className="stack">
          <h2 className="page-title mono">{dagId}</h2>
          {dag.data?.description && <p className="muted dag-description">{dag.data.description}</p>}
        </div>
        <div className="head-actions">
          {dag.data && (
            <>
              <span className="muted small schedule-inline">
                {dag.data.schedule === null && dag.data.scheduleDatasets === null ? "Manual only" : dag.data.scheduleDescription}
                {dag.data.schedule !== null && <code> {dag.data.schedule}</code>}
              </span>
              {dag.data.tags.map((t) => (
                <span key={t} className="tag">
                  {t}
                </span>
              ))}
              <label className="switch-label">
                <PauseSwitch dagId={dagId} isPaused={dag.data.isPaused} />
                <span className="small">{dag.data.isPaused ? "Paused" : "Active"}</span>
              </label>
            </>
          )}
          <button type="button" className="button" onClick={() => setBackfill({})} disabled={!dag.data}>
            <span aria-hidden="true">⟲ </span>Backfill
          </button>
          <button type="button" className="button button-primary" onClick={() => setTriggering(true)} disabled={!dag.data}>
            <span aria-hidden="true">▶ </span>Trigger
          </button>
        </div>
      </div>

      {dag.error && (
        <p role="alert" className="banner banner-error">
          {dag.error.message}
        </p>
      )}

      {importError && <DagFileImportError error={importError} />}

      <div role="tablist" aria-label="DAG views" className="tabs">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            className="tab"
            onClick={() => navigate(withSearch({ tab: t.id === "grid" ? undefined : t.id }))}
          >
            {t.label}
          </button>
        ))}
      </div>

      <div className={`dag-body ${taskInstanceId ? "with-panel" : ""}`}>
        <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
          {tab === "grid" && <DagGrid dagId={dagId} selectedTaskInstanceId={taskInstanceId} onRetryFailed={(range) => setBackfill({ ...range, reprocess: "failed" })} />}
          {tab === "graph" && (
            <Suspense fallback={<p className="muted loading">Loading graph…</p>}>
              {dag.data && <DagGraph dag={dag.data} selectedRun={selectedRun} />}
            </Suspense>
          )}
          {tab === "gantt" && dag.data && <DagGantt dag={dag.data} selectedRun={selectedRun} />}
          {tab === "runs" && <RunsTable dagId={dagId} />}
          {tab === "backfills" && <BackfillsTable dagId={dagId} />}
          {tab === "code" && dag.data && <CodeView dag={dag.data} selectedRun={selectedRun} selectedVersion={search.get("version") ?? undefined} />}
        </section>
        {taskInstanceId && <TaskInstancePanel key={taskInstanceId} id={taskInstanceId} onClose={() => navigate(withSearch({ ti: undefined }))} />}
      </div>

      {dag.data && <BackfillDialog dag={dag.data} open={backfill !== undefined} prefill={backfill ?? {}} onClose={() => setBackfill(undefined)} />}
      {dag.data && <TriggerDialog dag={dag.data} open={triggering} onClose={() => setTriggering(false)} />}
    </main>
  );
}
