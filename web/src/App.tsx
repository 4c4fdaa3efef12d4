import { useEffect } from "react";
import { AlertsPage } from "./alerts/AlertsPage";
import { ApiError } from "./api/fetchJson";
import { LoginPage } from "./auth/LoginPage";
import { BackfillPage } from "./backfill/BackfillPage";
import { BackfillListPage } from "./backfill/BackfillsTable";
import { useCurrentUser, useLogout } from "./auth/useAuth";
import { DagListPage } from "./dags/DagListPage";
import { DagPage } from "./dags/DagPage";
import { DeadLetterPage } from "./deadLetters/DeadLetterPage";
import { DeadLettersNavLink } from "./deadLetters/DeadLettersNavLink";
import { DeadLettersPage } from "./deadLetters/DeadLettersPage";
import { DatasetRoute } from "./lineage/DatasetPage";
import { LineagePage } from "./lineage/LineagePage";
import { PartitionRoute } from "./lineage/PartitionPage";
import { useLiveEvents } from "./live/useLiveEvents";
import { Link, matchPath, navigate, useLocation } from "./router";
import { RunPage } from "./runs/RunPage";

function Brand() {
  return (
    <div className="brand">
      <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
        <rect width="32" height="32" rx="7" />
        <path d="M6 21c4 0 4-10 8-10s4 10 8 10 4-6 4-6" />
      </svg>
      <h1 className="brand-name">Runnel</h1>
    </div>
  );
}

function NotFound() {
  return (
    <main className="page">
      <h2 className="page-title">Page not found</h2>
      <p>
        <Link to="/">Back to the DAGs</Link>
      </p>
    </main>
  );
}

function Routes({ pathname }: { pathname: string }) {
  if (matchPath("/", pathname)) return <DagListPage />;
  const dag = matchPath("/dags/:dagId", pathname);
  if (dag?.dagId) return <DagPage key={dag.dagId} dagId={dag.dagId} />;
  const run = matchPath("/runs/:id", pathname);
  if (run?.id) return <RunPage key={run.id} dagRunId={run.id} />;
  if (matchPath("/backfills", pathname)) return <BackfillListPage />;
  const backfill = matchPath("/backfills/:id", pathname);
  if (backfill?.id) return <BackfillPage key={backfill.id} id={backfill.id} />;
  if (matchPath("/lineage", pathname)) return <LineagePage />;
  if (matchPath("/lineage/dataset", pathname)) return <DatasetRoute />;
  if (matchPath("/lineage/partition", pathname)) return <PartitionRoute />;
  if (matchPath("/dead-letters", pathname)) return <DeadLettersPage />;
  if (matchPath("/alerts", pathname)) return <AlertsPage />;
  const letter = matchPath("/dead-letters/:id", pathname);
  if (letter?.id) return <DeadLetterPage key={letter.id} id={letter.id} />;
  return <NotFound />;
}

/** The dashboard shell: login gate, header, live updates and the current page. */
export function App() {
  const { pathname, search } = useLocation();
  const me = useCurrentUser();
  const logout = useLogout();
  const unauthenticated = me.error instanceof ApiError && me.error.status === 401;
  const onLogin = pathname === "/login";
  const signedIn = !onLogin && !unauthenticated && me.isSuccess;
  useLiveEvents(signedIn);

  useEffect(() => {
    if (unauthenticated && !onLogin) navigate(`/login?next=${encodeURIComponent(pathname + (search.size ? `?${search}` : ""))}`, { replace: true });
  }, [unauthenticated, onLogin, pathname, search]);

  if (onLogin) return <LoginPage next={search.get("next") ?? "/"} />;

  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand-link">
            <Brand />
          </Link>
          <nav aria-label="Main">
            <Link to="/" aria-current={pathname === "/" || pathname.startsWith("/dags/") ? "page" : undefined} className="nav-link">
              DAGs
            </Link>
            <Link to="/backfills" aria-current={pathname.startsWith("/backfills") ? "page" : undefined} className="nav-link">
              Backfills
            </Link>
            <Link to="/lineage" aria-current={pathname.startsWith("/lineage") ? "page" : undefined} className="nav-link">
              Lineage
            </Link>
            {signedIn && <DeadLettersNavLink current={pathname.startsWith("/dead-letters")} />}
            <Link to="/alerts" aria-current={pathname.startsWith("/alerts") ? "page" : undefined} className="nav-link">
              Alerts
            </Link>
          </nav>
          {me.data && (
            <div className="user-menu">
              <span className="muted small">
                {me.data.username} · {me.data.role}
              </span>
              <button type="button" className="button button-ghost" onClick={() => logout.mutate(undefined, { onSettled: () => navigate("/login") })}>
                Log out
              </button>
            </div>
          )}
        </div>
      </header>
      {me.isPending ? (
        <main className="page">
          <p role="status" className="muted loading">
            Loading…
          </p>
        </main>
      ) : unauthenticated ? null : (
        <Routes pathname={pathname} />
      )}
    </>
  );
}
