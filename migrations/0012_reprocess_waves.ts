import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

const REPROCESS_STATES = ["running", "completed", "failed"];

/**
 * Ordered "Reprocess downstream" across DAGs. A reprocess clears its first wave at once; runs
 * that read what an earlier wave writes wait in `reprocess_runs` with their wave number and the
 * task ids to clear, and the scheduler releases a wave once every run of the waves before it has
 * succeeded. `released_at` marks a released run.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE reprocesses (
      id bigserial PRIMARY KEY,
      uri text NOT NULL,
      partition text NOT NULL,
      requested_by text NOT NULL,
      state text NOT NULL CHECK (state IN (${sqlList(REPROCESS_STATES)})),
      message text,
      created_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
    CREATE INDEX reprocesses_running_idx ON reprocesses (id) WHERE state = 'running';
    CREATE TABLE reprocess_runs (
      reprocess_id bigint NOT NULL REFERENCES reprocesses(id) ON DELETE CASCADE,
      dag_run_id bigint NOT NULL REFERENCES dag_runs(id) ON DELETE CASCADE,
      wave integer NOT NULL,
      task_ids text[] NOT NULL,
      released_at timestamptz,
      PRIMARY KEY (reprocess_id, dag_run_id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DROP TABLE IF EXISTS reprocess_runs; DROP TABLE IF EXISTS reprocesses");
}
