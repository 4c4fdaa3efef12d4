import type { Logger } from "../obs/logger";
import type { Db } from "../store/db";
import { claimPeriodicJob, cleanHistory, HISTORY_CLEANUP_JOB, type CleanCounts } from "../store/historyCleanup";

const DAY_MS = 86_400_000;
/** How often the leader asks the database whether the daily clean is due (its own clock). */
const CHECK_EVERY_MS = 60_000;

/**
 * RUNNEL_RETENTION on the leading scheduler: at most once a minute it asks (one conditional
 * upsert on maintenance_jobs) whether the last clean is 24 h old, and if so deletes the history
 * that ended more than `retentionMs` before now, in the background so run creation never waits
 * for it. One clean at a time per process; `lastClean()` waits for the latest one.
 */
export class HistoryRetention {
  private lastCheck = Number.NEGATIVE_INFINITY;
  private current: Promise<CleanCounts | null> | undefined;
  private latest: Promise<CleanCounts | null> | undefined;

  constructor(private readonly deps: { db: Db; log: Logger; retentionMs: number }) {}

  /** Called by the leader every tick. Starts a clean when one is due; answers whether it did. */
  async maybeStart(now: Date): Promise<boolean> {
    if (this.current || now.getTime() - this.lastCheck < CHECK_EVERY_MS) return false;
    this.lastCheck = now.getTime();
    if (!(await claimPeriodicJob(this.deps.db, HISTORY_CLEANUP_JOB, now, DAY_MS))) return false;
    const before = new Date(now.getTime() - this.deps.retentionMs);
    this.current = cleanHistory(this.deps.db, { before })
      .then((counts) => {
        this.deps.log.info({ before: before.toISOString(), counts }, "history cleaned (RUNNEL_RETENTION)");
        return counts;
      })
      .catch((err: unknown) => {
        this.deps.log.error({ err }, "history cleanup failed");
        return null;
      })
      .finally(() => {
        this.current = undefined;
      });
    this.latest = this.current;
    return true;
  }

  /** The counts of the latest clean this process started, once it is done (null when it failed or none was started). */
  async lastClean(): Promise<CleanCounts | null> {
    return (await this.latest) ?? null;
  }
}
