import type { Knex } from "knex";

/**
 * A stored next-run time per DAG (Airflow's `next_dagrun_create_after`), so the leader's tick finds
 * every DAG with a due interval in one statement instead of two queries per DAG:
 * - `next_dagrun_create_after`: no scheduled interval of the DAG closes before this time; NULL
 *   when none ever will (manual-only, dataset-scheduled, past its endDate, `@once` done).
 *   '-infinity' means "due now": the next tick computes the real time (new DAG, changed schedule).
 * - `schedule_key`: the schedule the time was computed for (cron, timezone, start/end date,
 *   catchup); a reload that changes it resets the time to '-infinity'.
 * - `max_active_runs`: the DAG's maxActiveRuns as last loaded, so the statement also checks room.
 * Rows of scheduled DAGs start as due now; their first tick stores the real time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE dags
    ADD COLUMN next_dagrun_create_after timestamptz,
    ADD COLUMN schedule_key text,
    ADD COLUMN max_active_runs integer NOT NULL DEFAULT 16`);
  await knex.raw("UPDATE dags SET next_dagrun_create_after = '-infinity' WHERE schedule IS NOT NULL");
  await knex.raw(`CREATE INDEX dags_next_dagrun_create_after ON dags (next_dagrun_create_after) WHERE is_active AND NOT is_paused`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DROP INDEX IF EXISTS dags_next_dagrun_create_after");
  await knex.raw("ALTER TABLE dags DROP COLUMN next_dagrun_create_after, DROP COLUMN schedule_key, DROP COLUMN max_active_runs");
}
