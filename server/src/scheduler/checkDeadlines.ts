import type { Logger } from "../obs/logger";
import type { RunnelMetrics } from "../obs/metrics";
import { markMissedDeadlines, type DeadlineMisses } from "../store/deadlines";
import type { Db } from "../store/db";

export interface CheckDeadlinesDeps {
  db: Db;
  log: Logger;
  metrics?: RunnelMetrics;
}

/**
 * The leading scheduler's deadline check, every tick: runs past their DAG's `deadline` and task
 * instances past their `expectedDuration` that have not finished get one `deadline_missed`
 * event each (store/deadlines.ts), counted in runnel_deadline_misses_total{dag_id, kind}. `now`
 * is the scheduler's clock, not a worker's: a late run is found even when no task ever ends.
 * Two indexed statements that read only rows still waiting for a deadline, so a tick with
 * nothing late costs two index probes.
 */
export async function checkDeadlines(deps: CheckDeadlinesDeps, now: Date): Promise<DeadlineMisses[]> {
  const misses = await markMissedDeadlines(deps.db, now);
  for (const m of misses) {
    deps.metrics?.deadlineMisses.inc({ dag_id: m.dagId, kind: m.kind }, m.count);
    deps.log.warn({ dagId: m.dagId, kind: m.kind, count: m.count }, "deadline missed");
  }
  return misses;
}
