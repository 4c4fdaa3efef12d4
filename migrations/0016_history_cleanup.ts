import type { Knex } from "knex";

/**
 * `runnel db clean` and RUNNEL_RETENTION (store/historyCleanup.ts):
 *
 * - `maintenance_jobs`: when a periodic job last ran (job name -> last_run_at). The leading
 *   scheduler claims the daily history cleanup with one conditional upsert, so two leaders in a
 *   row never both run it within 24 h.
 * - Indexes on the foreign keys to dag_runs/task_instances that had none: deleting a run makes
 *   Postgres look up (cascade or set null) every referencing row, which without them is a
 *   sequential scan of the referencing table per deleted run.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE maintenance_jobs (
      job text PRIMARY KEY,
      last_run_at timestamptz NOT NULL
    );
    CREATE INDEX dataset_events_run_idx ON dataset_events (dag_run_id) WHERE dag_run_id IS NOT NULL;
    CREATE INDEX dead_letters_run_idx ON dead_letters (dag_run_id) WHERE dag_run_id IS NOT NULL;
    CREATE INDEX dead_letters_ti_idx ON dead_letters (task_instance_id) WHERE task_instance_id IS NOT NULL;
    CREATE INDEX check_results_ti_idx ON check_results (task_instance_id);
    CREATE INDEX dataset_reads_run_idx ON dataset_reads (dag_run_id);
    CREATE INDEX reprocess_runs_run_idx ON reprocess_runs (dag_run_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX IF EXISTS reprocess_runs_run_idx, dataset_reads_run_idx, check_results_ti_idx, dead_letters_ti_idx, dead_letters_run_idx, dataset_events_run_idx;
    DROP TABLE IF EXISTS maintenance_jobs;
  `);
}
