import type { Knex } from "knex";

/**
 * History of each dead letter: one row per event (created, edited, replay_requested, replayed,
 * requeued, discarded) with who did it (`actor`: a username, or `task` for the executor) and
 * JSON details (e.g. the payload before an edit, the discard reason, the outcome of a replay).
 * `created` rows are written for letters that exist when this migration runs, so every letter
 * has a history that starts somewhere.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE dead_letter_history (
      id bigserial PRIMARY KEY,
      dead_letter_id bigint NOT NULL REFERENCES dead_letters(id) ON DELETE CASCADE,
      event text NOT NULL CHECK (event IN ('created','edited','replay_requested','replayed','requeued','discarded')),
      actor text NOT NULL,
      details jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX dead_letter_history_letter_idx ON dead_letter_history (dead_letter_id, id);
    INSERT INTO dead_letter_history (dead_letter_id, event, actor, created_at)
      SELECT id, 'created', 'task', created_at FROM dead_letters;
    CREATE INDEX dead_letters_scope_idx ON dead_letters (dag_id, task_id, partition, status);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS dead_letters_scope_idx; DROP TABLE IF EXISTS dead_letter_history`);
}
