import type { Knex } from "knex";

/** The tables every task writes several times, as of this migration. */
const HOT_TABLES = ["task_instances", "task_attempts", "dag_runs", "task_logs"];

/**
 * Autovacuum analyzes and vacuums the hot tables after 2% / 5% of their rows changed instead of
 * Postgres' 10% / 20%, so statistics catch up with a burst (500k task instances) within a few
 * autovacuum rounds instead of staying stale until the table has grown another 10%; inserts alone
 * (task_logs, task_attempts) also trigger a vacuum after 5%, which keeps the visibility map fresh.
 * The hot statements do not depend on it (their plans are keyed: store.keyedPlans.test.ts); this
 * keeps everything else, and the planner's row counts, close to the truth.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of HOT_TABLES) {
    await knex.raw(`ALTER TABLE ${table} SET (
      autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 500,
      autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_insert_scale_factor = 0.05)`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of HOT_TABLES) {
    await knex.raw(`ALTER TABLE ${table} RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold, autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor)`);
  }
}
