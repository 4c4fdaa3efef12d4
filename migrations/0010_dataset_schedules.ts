import type { Knex } from "knex";

/**
 * Data-aware scheduling (`schedule: { datasets: [...] }`).
 * - `dags.schedule_datasets`: the datasets a DAG is scheduled on (null: cron or manual).
 * - `dataset_schedule_cursors`: per DAG, the last dataset event the leader has looked at. The
 *   cursor moves in the same transaction as the runs it creates, so an event is acted on once.
 * - `dag_runs.trigger_event_id`: the write that created a dataset-triggered run (lineage).
 * - One dataset-triggered run per DAG and logical date: the database refuses a second.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE dags ADD COLUMN schedule_datasets jsonb;
    CREATE TABLE dataset_schedule_cursors (
      dag_id text PRIMARY KEY REFERENCES dags(dag_id) ON DELETE CASCADE,
      last_event_id bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE dag_runs ADD COLUMN trigger_event_id bigint REFERENCES dataset_events(id) ON DELETE SET NULL;
    CREATE INDEX dag_runs_trigger_event_idx ON dag_runs (trigger_event_id) WHERE trigger_event_id IS NOT NULL;
    CREATE UNIQUE INDEX dag_runs_dataset_triggered_uq ON dag_runs (dag_id, logical_date) WHERE run_type = 'dataset_triggered';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX IF EXISTS dag_runs_dataset_triggered_uq;
    DROP INDEX IF EXISTS dag_runs_trigger_event_idx;
    ALTER TABLE dag_runs DROP COLUMN IF EXISTS trigger_event_id;
    DROP TABLE IF EXISTS dataset_schedule_cursors;
    ALTER TABLE dags DROP COLUMN IF EXISTS schedule_datasets;
  `);
}
