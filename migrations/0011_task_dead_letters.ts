import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

// The lists as of this migration.
const DEAD_LETTER_STATUSES = ["open", "replay_pending", "replayed", "discarded", "resolved"];
const DEAD_LETTER_EVENTS = ["created", "edited", "replay_requested", "replayed", "requeued", "discarded", "resolved"];
const TERMINAL_TASK_STATES = ["success", "failed", "skipped", "upstream_failed", "removed"];

/**
 * Task-level dead letters kept by the database, whatever writes the state:
 *
 * - A task instance that becomes `failed` (last try failed, a zombie's last try, NonRetryableError,
 *   or a person's "mark failed") gets a `task` dead letter with the try's error (task_attempts) in
 *   the same transaction. One unsettled (open or replay_pending) task letter per task instance,
 *   enforced by a unique index: failing again updates it (attempts + 1, back to open, `requeued`).
 *   The trigger is deferred to commit because runnel_finish_try writes the attempt's error after the
 *   state, and so that a row changed again in the same transaction is judged by its final state.
 * - A task instance that becomes `success` settles its unsettled task letter: `replayed` when a try
 *   ran and succeeded (a retry), `resolved` when a person marked it success.
 * - `runnel_finish_try` (0002) no longer writes task letters itself (the trigger does).
 * - The actor of the history rows is the transaction setting `runnel.actor` (the API sets it for a
 *   person's action), else `task`.
 * - `dead_letters.schema`: the JSON Schema of the zod schema that rejected a record (ctx.validate),
 *   so an edited payload can be checked before a replay.
 * - New status `resolved` and history event `resolved` (the CHECKs read sdk/states.ts).
 */
export async function up(knex: Knex): Promise<void> {
  const terminal = sqlList(TERMINAL_TASK_STATES);
  await knex.raw(`
    ALTER TABLE dead_letters ADD COLUMN schema jsonb;

    ALTER TABLE dead_letters DROP CONSTRAINT IF EXISTS dead_letters_status_check;
    ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_status_check CHECK (status IN (${sqlList(DEAD_LETTER_STATUSES)}));
    ALTER TABLE dead_letter_history DROP CONSTRAINT IF EXISTS dead_letter_history_event_check;
    ALTER TABLE dead_letter_history ADD CONSTRAINT dead_letter_history_event_check CHECK (event IN (${sqlList(DEAD_LETTER_EVENTS)}));

    -- Before 0011 a failure after a retry request could open a second letter: keep the newest.
    WITH ranked AS (
      SELECT id, row_number() OVER (PARTITION BY task_instance_id ORDER BY id DESC) AS n
        FROM dead_letters WHERE kind = 'task' AND status IN ('open','replay_pending') AND task_instance_id IS NOT NULL
    ), dropped AS (
      UPDATE dead_letters d SET status = 'discarded', updated_at = now() FROM ranked r WHERE d.id = r.id AND r.n > 1 RETURNING d.id
    )
    INSERT INTO dead_letter_history (dead_letter_id, event, actor, details)
      SELECT id, 'discarded', 'migration', '{"reason":"superseded by a newer letter of the same task instance"}'::jsonb FROM dropped;
    CREATE UNIQUE INDEX dead_letters_task_unsettled_uq ON dead_letters (task_instance_id)
      WHERE kind = 'task' AND status IN ('open','replay_pending');

    -- 0002's function without its dead-letter block (the triggers below own task letters now).
    CREATE OR REPLACE FUNCTION runnel_finish_try(
      p_run_id bigint, p_ti_id bigint, p_try integer, p_state text, p_output jsonb,
      p_attempt_state text, p_error text, p_error_code text, p_logs jsonb)
    RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      v_task_id text;
    BEGIN
      PERFORM runnel_lock_run(p_run_id);
      UPDATE task_instances SET state = p_state, output = p_output, end_date = clock_timestamp(),
             heartbeat_at = NULL, updated_at = clock_timestamp()
       WHERE id = p_ti_id AND try_number = p_try AND state = 'running'
       RETURNING task_id INTO v_task_id;
      IF v_task_id IS NULL THEN
        RETURN jsonb_build_object('won', false);
      END IF;
      UPDATE task_attempts SET state = p_attempt_state, end_date = clock_timestamp(), error = p_error, error_code = p_error_code
       WHERE task_instance_id = p_ti_id AND try_number = p_try;
      IF jsonb_array_length(p_logs) > 0 THEN
        INSERT INTO task_logs (task_instance_id, try_number, ts, level, message, fields)
        SELECT p_ti_id, p_try, l.ts, l.level, l.message, l.fields
          FROM jsonb_to_recordset(p_logs) AS l(ts timestamptz, level text, message text, fields jsonb);
      END IF;
      RETURN jsonb_build_object(
        'won', true,
        'open', (SELECT count(*) FROM task_instances WHERE dag_run_id = p_run_id AND state NOT IN (${terminal})),
        'pending', coalesce((
          SELECT jsonb_agg(jsonb_build_object('id', p.id, 'dag_run_id', p.dag_run_id, 'dag_id', p.dag_id, 'trigger_rule', p.trigger_rule, 'upstream_states', p.upstream_states))
          FROM (
            SELECT ti.id, ti.dag_run_id, ti.dag_id, ti.trigger_rule,
                   coalesce(array_agg(u.state) FILTER (WHERE u.id IS NOT NULL), '{}') AS upstream_states
              FROM task_instances ti
              LEFT JOIN task_instances u ON u.dag_run_id = ti.dag_run_id AND u.task_id = ANY(ti.upstream_task_ids)
             WHERE ti.dag_run_id = p_run_id AND ti.state = 'pending' AND v_task_id = ANY(ti.upstream_task_ids)
             GROUP BY ti.id) p), '[]'::jsonb));
    END
    $fn$;

    CREATE FUNCTION runnel_dead_letter_actor() RETURNS text LANGUAGE sql STABLE AS $fn$
      SELECT coalesce(nullif(current_setting('runnel.actor', true), ''), 'task')
    $fn$;

    -- The run's partition as the executor names it (schedule/dates.ts partitionKey): the local
    -- date of a day-aligned interval, else the local minute. (A DST-repeated hour lacks the offset suffix.)
    CREATE FUNCTION runnel_run_partition(p_run_id bigint) RETURNS text LANGUAGE sql STABLE AS $fn$
      SELECT CASE WHEN w::time = '00:00' THEN to_char(w, 'YYYY-MM-DD') ELSE to_char(w, 'YYYY-MM-DD"T"HH24:MI') END
        FROM (SELECT r.data_interval_start AT TIME ZONE coalesce(d.timezone, 'UTC') AS w
                FROM dag_runs r LEFT JOIN dags d ON d.dag_id = r.dag_id WHERE r.id = p_run_id) x
    $fn$;

    CREATE FUNCTION runnel_task_failed_letter() RETURNS trigger LANGUAGE plpgsql AS $fn$
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

    CREATE FUNCTION runnel_task_success_letter() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      v_letter record;
      v_actor text := runnel_dead_letter_actor();
    BEGIN
      FOR v_letter IN SELECT id, status FROM dead_letters
                       WHERE kind = 'task' AND task_instance_id = NEW.id AND status IN ('open','replay_pending') FOR UPDATE LOOP
        IF OLD.state = 'running' THEN
          UPDATE dead_letters SET status = 'replayed', updated_at = now() WHERE id = v_letter.id;
          INSERT INTO dead_letter_history (dead_letter_id, event, actor, details)
          VALUES (v_letter.id, 'replayed', 'task', jsonb_build_object('dagRunId', NEW.dag_run_id, 'tryNumber', NEW.try_number));
        ELSE
          UPDATE dead_letters SET status = 'resolved', updated_at = now() WHERE id = v_letter.id;
          INSERT INTO dead_letter_history (dead_letter_id, event, actor, details)
          VALUES (v_letter.id, 'resolved', v_actor, jsonb_build_object('reason', 'marked success', 'was', OLD.state));
        END IF;
      END LOOP;
      RETURN NULL;
    END
    $fn$;

    CREATE CONSTRAINT TRIGGER task_instances_failed_letter
      AFTER UPDATE OF state ON task_instances DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW WHEN (NEW.state = 'failed' AND OLD.state IS DISTINCT FROM 'failed')
      EXECUTE FUNCTION runnel_task_failed_letter();
    CREATE TRIGGER task_instances_success_letter
      AFTER UPDATE OF state ON task_instances
      FOR EACH ROW WHEN (NEW.state = 'success' AND OLD.state IS DISTINCT FROM 'success')
      EXECUTE FUNCTION runnel_task_success_letter();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER IF EXISTS task_instances_success_letter ON task_instances;
    DROP TRIGGER IF EXISTS task_instances_failed_letter ON task_instances;
    DROP FUNCTION IF EXISTS runnel_task_success_letter();
    DROP FUNCTION IF EXISTS runnel_task_failed_letter();
    DROP FUNCTION IF EXISTS runnel_run_partition(bigint);
    DROP FUNCTION IF EXISTS runnel_dead_letter_actor();
    DROP INDEX IF EXISTS dead_letters_task_unsettled_uq;
    ALTER TABLE dead_letters DROP COLUMN IF EXISTS schema;
  `);
  // The CHECKs keep 'resolved' and runnel_finish_try stays without task letters: re-run 0002's
  // definition by hand if you need the old behaviour (migrations are append-only).
}
