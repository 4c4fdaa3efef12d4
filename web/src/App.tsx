import { DagListPage } from "./dags/DagListPage";

/** The dashboard shell: header and the current page (only the DAG list for now). */
export function App() {
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <div className="brand">
            <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
              <rect width="32" height="32" rx="7" />
              <path d="M6 21c4 0 4-10 8-10s4 10 8 10 4-6 4-6" />
            </svg>
            <h1 className="brand-name">Runnel</h1>
          </div>
          <nav aria-label="Main">
            <a href="/" aria-current="page" className="nav-link">
              DAGs
            </a>
          </nav>
        </div>
      </header>
      <DagListPage />
    </>
  );
}
