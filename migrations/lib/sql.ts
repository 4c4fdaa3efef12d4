/**
 * Helpers for migrations only. Migrations import nothing of the engine: each states the values
 * it needs as they were when it landed, so a later change to the live code cannot change what an
 * old migration does. A list that grows gets a new migration that alters the constraint.
 */

/** SQL literal list for a CHECK constraint, e.g. `'a','b'`. Only for the constant lists of a migration. */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",");
}
