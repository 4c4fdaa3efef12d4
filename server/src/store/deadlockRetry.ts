/** SQLSTATE of a transaction Postgres rolled back to break a deadlock. */
const DEADLOCK_DETECTED = "40P01";

/**
 * Runs `fn` (one transaction, or one autocommit statement) again when Postgres chose it as the
 * victim of a deadlock: its work was rolled back whole, so running it again is safe. Task
 * instances are locked in id order by the writers that lock several (finishTries.sql,
 * taskActions.ts), which makes such deadlocks rare; a trigger-rule cascade locks a decided row's
 * downstream after the row itself, so some remain possible.
 */
export async function retryOnDeadlock<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || (err as { code?: string }).code !== DEADLOCK_DETECTED) throw err;
    }
  }
}
