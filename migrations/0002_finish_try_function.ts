import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

/** Task states that end a task instance, as of this migration. */
const TERMINAL_TASK_STATES = ["success", "failed", "skipped", "upstream_failed", "removed"];

/** First key of the per-run advisory lock (ASCII "RUNR"). */
const RUN_LOCK_CLASS = 0x52554e52;

/**
 * `runnel_finish_try`: the end of one try as one atomic server-side call, like BullMQ's
 * moveToFinished Lua script. It locks the run (so completions of one run are serialized
 * and each sees its siblings), ends the try fenced by try number and `running`, closes the
 * attempt, stores the last log lines, opens a task dead letter for a final failure, and then,
 * with a fresh snapshot under the lock, returns the direct downstream still pending with their
 * upstream states and the count of open task instances. Trigger rules are then applied by the
 * engine (one definition, in TypeScript); the fenced update makes a late decision harmless.
 */
export async function up(knex: Knex): Promise<void> {
  const terminal = sqlList(TERMINAL_TASK_STATES);
  await knex.raw(`
    -- Serializes the completions of one run until commit. An advisory lock, not a row lock:
    -- it writes nothing (a FOR UPDATE row lock costs a WAL record per completion). Runs whose
    -- ids differ by 2^31-1 share a key, which only serializes them a little more.
    CREATE FUNCTION runnel_lock_run(p_run_id bigint) RETURNS void LANGUAGE sql AS $fn$
      SELECT pg_advisory_xact_lock(${RUN_LOCK_CLASS}, (p_run_id % 2147483647)::integer)
    $fn$;

    CREATE FUNCTION runnel_finish_try(
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
      IF p_state = 'failed' THEN
        -- One open task dead letter per task instance: failing again after a clear updates it.
        UPDATE dead_letters SET error = coalesce(p_error, 'failed'), try_number = p_try, dag_run_id = p_run_id,
               attempts = attempts + 1, updated_at = now()
         WHERE kind = 'task' AND status = 'open' AND task_instance_id = p_ti_id;
        IF NOT FOUND THEN
          INSERT INTO dead_letters (kind, dag_id, task_id, task_instance_id, dag_run_id, try_number, error)
          SELECT 'task', dag_id, task_id, id, dag_run_id, try_number, coalesce(p_error, 'failed')
            FROM task_instances WHERE id = p_ti_id;
        END IF;
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

    -- Several tries in one call (a worker batches completions that arrive together). The caller
    -- orders the items by run id, so concurrent batches take run locks in the same order.
    CREATE FUNCTION runnel_finish_tries(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      v_item jsonb;
      v_out jsonb := '[]'::jsonb;
    BEGIN
      FOR v_item IN SELECT e.value FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
        v_out := v_out || jsonb_build_array(runnel_finish_try(
          (v_item->>'run')::bigint, (v_item->>'id')::bigint, (v_item->>'try')::integer, v_item->>'state',
          CASE WHEN jsonb_exists(v_item, 'output') THEN v_item->'output' END,
          v_item->>'attemptState', v_item->>'error', v_item->>'errorCode', coalesce(v_item->'logs', '[]'::jsonb)));
      END LOOP;
      RETURN v_out;
    END
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DROP FUNCTION IF EXISTS runnel_finish_tries(jsonb)");
  await knex.raw("DROP FUNCTION IF EXISTS runnel_lock_run(bigint)");
  await knex.raw("DROP FUNCTION IF EXISTS runnel_finish_try(bigint, bigint, integer, text, jsonb, text, text, text, jsonb)");
}
