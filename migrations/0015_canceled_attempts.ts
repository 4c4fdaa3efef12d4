import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

// The attempt states as of this migration.
const ATTEMPT_STATES = ["running", "success", "failed", "skipped", "lost", "rescheduled", "canceled"];
const ATTEMPT_STATES_BEFORE = ["running", "success", "failed", "skipped", "lost", "rescheduled"];

/**
 * Cancel stops the code (issue 10 item 6):
 *
 * - a try whose body a worker stopped because its task instance moved on (run canceled, task
 *   marked or cleared while running) ends as attempt state `canceled`;
 * - `abort_ignored_at`: when the worker aborted an in-process body and it was still running a
 *   grace period later (it ignores its abort signal and cannot be killed); NULL otherwise.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE task_attempts DROP CONSTRAINT IF EXISTS task_attempts_state_check;
    ALTER TABLE task_attempts ADD CONSTRAINT task_attempts_state_check CHECK (state IN (${sqlList(ATTEMPT_STATES)}));
    ALTER TABLE task_attempts ADD COLUMN abort_ignored_at timestamptz;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE task_attempts DROP COLUMN IF EXISTS abort_ignored_at;
    UPDATE task_attempts SET state = 'lost' WHERE state = 'canceled';
    ALTER TABLE task_attempts DROP CONSTRAINT IF EXISTS task_attempts_state_check;
    ALTER TABLE task_attempts ADD CONSTRAINT task_attempts_state_check CHECK (state IN (${sqlList(ATTEMPT_STATES_BEFORE)}));
  `);
}
