/** SQLSTATE of a transaction Postgres rolled back to break a deadlock. */
const DEADLOCK_DETECTED = "40P01";

/**
 * Runs `fn` (one transaction, or one autocommit statement) again when Postgres chose it as the
 * victim of a deadlock: its work was rolled back whole, so running it again is safe. The writers
 * of task instances lock the rows they will write in id order, before the run row
 * (finishTries.sql, taskInstances.ts APPLY_DECISIONS_SQL, taskActions.ts), so this is a safety net
 * for an order they miss, not a path taken in normal operation.
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
