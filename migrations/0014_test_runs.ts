import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

// The run types as of this migration.
const RUN_TYPES = ["scheduled", "manual", "backfill", "dataset_triggered", "test"];
const RUN_TYPES_BEFORE = ["scheduled", "manual", "backfill", "dataset_triggered"];

/**
 * `runnel dags test` runs get their own run type, `test`:
 *
 * - the run_type CHECK allows it;
 * - runs that `dags test` created before (run type `manual`, run id `test__<ISO date>__<ms>`)
 *   become `test` runs;
 * - a task instance of a test run that fails opens no task dead letter (0011's trigger function,
 *   restated with that one early return): a test's failure is printed by the CLI, not queued for
 *   someone to retry.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE dag_runs DROP CONSTRAINT IF EXISTS dag_runs_run_type_check;
    ALTER TABLE dag_runs ADD CONSTRAINT dag_runs_run_type_check CHECK (run_type IN (${sqlList(RUN_TYPES)}));
    UPDATE dag_runs SET run_type = 'test'
     WHERE run_type = 'manual' AND run_id ~ '^test__[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z__[0-9]+$';

    CREATE OR REPLACE FUNCTION runnel_task_failed_letter() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      v_state text;
      v_try integer;
      v_error text;
      v_actor text := runnel_dead_letter_actor();
      v_letter record;
      v_id bigint;
    BEGIN
      SELECT state, try_number INTO v_state, v_try FROM task_instances WHERE id = NEW.id;
      IF v_state IS DISTINCT FROM 'failed' THEN
        RETURN NULL; -- changed again before commit
      END IF;
      IF EXISTS (SELECT 1 FROM dag_runs WHERE id = NEW.dag_run_id AND run_type = 'test') THEN
        RETURN NULL; -- a dags test run: nothing for a person to retry
      END IF;
      IF OLD.state = 'running' THEN
        SELECT error INTO v_error FROM task_attempts WHERE task_instance_id = NEW.id AND try_number = v_try;
        v_error := coalesce(v_error, 'failed');
      ELSE
        v_error := CASE WHEN v_actor = 'task' THEN format('marked failed (was %s)', OLD.state)
                        ELSE format('marked failed by %s (was %s)', v_actor, OLD.state) END;
      END IF;
      SELECT id, status INTO v_letter FROM dead_letters
       WHERE kind = 'task' AND task_instance_id = NEW.id AND status IN ('open','replay_pending') FOR UPDATE;
      IF FOUND THEN
        UPDATE dead_letters SET status = 'open', error = v_error, try_number = v_try, dag_run_id = NEW.dag_run_id,
               attempts = attempts + 1, updated_at = now()
         WHERE id = v_letter.id;
        INSERT INTO dead_letter_history (dead_letter_id, event, actor, details)
        VALUES (v_letter.id, 'requeued', v_actor, jsonb_build_object('dagRunId', NEW.dag_run_id, 'tryNumber', v_try, 'error', v_error, 'was', v_letter.status));
      ELSE
        INSERT INTO dead_letters (kind, dag_id, task_id, task_instance_id, dag_run_id, try_number, partition, error)
        VALUES ('task', NEW.dag_id, NEW.task_id, NEW.id, NEW.dag_run_id, v_try, runnel_run_partition(NEW.dag_run_id), v_error)
        RETURNING id INTO v_id;
        INSERT INTO dead_letter_history (dead_letter_id, event, actor, details)
        VALUES (v_id, 'created', v_actor, jsonb_build_object('dagRunId', NEW.dag_run_id, 'tryNumber', v_try));
      END IF;
      RETURN NULL;
    END
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE dag_runs SET run_type = 'manual' WHERE run_type = 'test';
    ALTER TABLE dag_runs DROP CONSTRAINT IF EXISTS dag_runs_run_type_check;
    ALTER TABLE dag_runs ADD CONSTRAINT dag_runs_run_type_check CHECK (run_type IN (${sqlList(RUN_TYPES_BEFORE)}));
  `);
  // The trigger function keeps its test-run check (harmless without test runs); migrations are append-only.
}
