import type { RunType } from "../api/types";

/** What a test run is, for the badge's tooltip. */
const TEST_RUN_NOTE = "A `runnel dags test` run: it starts no data-aware runs, opens no dead letters and does not count for scheduling.";

/** Marks a `dags test` run ("test"); other run types show nothing. */
export function TestRunBadge({ runType, compact = false }: { runType: RunType; compact?: boolean }) {
  if (runType !== "test") return null;
  return (
    <span className={`badge run-type-test${compact ? " run-type-test-compact" : ""}`} title={TEST_RUN_NOTE}>
      test
    </span>
  );
}
