import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

const CHECK_SEVERITIES = ["error", "warn"];

/**
 * Data-quality check results (`dag.check`): one row per expectation of the latest try of a check
 * task instance, keyed by run, task and partition. `observed`/`threshold` are display text.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE check_results (
      id bigserial PRIMARY KEY,
      dag_run_id bigint NOT NULL REFERENCES dag_runs(id) ON DELETE CASCADE,
      task_instance_id bigint NOT NULL REFERENCES task_instances(id) ON DELETE CASCADE,
      dag_id text NOT NULL,
      task_id text NOT NULL,
      try_number integer NOT NULL,
      partition text NOT NULL,
      dataset text NOT NULL,
      severity text NOT NULL CHECK (severity IN (${sqlList(CHECK_SEVERITIES)})),
      expectation text NOT NULL,
      kind text NOT NULL,
      passed boolean NOT NULL,
      observed text NOT NULL,
      threshold text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX check_results_run_idx ON check_results (dag_run_id);
    CREATE INDEX check_results_dataset_idx ON check_results (dataset, partition);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS check_results`);
}
