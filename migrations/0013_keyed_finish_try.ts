import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

/**
 * A task instance's state as an expression, so statements that find rows by key cannot be planned
 * through the partial index of open task instances (see keyedState in server/src/store/pgConn.ts).
 */
const keyedState = (column: string): string => `(${column} || '')`;

/** Task states that end a task instance, as of this migration. */
const TERMINAL_TASK_STATES = ["success", "failed", "skipped", "upstream_failed", "removed"];

/**
 * `runnel_finish_try` (as 0011 left it) finding the task instance by its key and its pending
 * downstream by run, never through the partial index of open task instances: with statistics
 * from before a burst the planner believed that index tiny and scanned every running (for the
 * finish) or pending (for the downstream) row on each completion. See `keyedState`.
 */
export async function up(knex: Knex): Promise<void> {
  const terminal = sqlList(TERMINAL_TASK_STATES);
  await knex.raw(`
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
       WHERE id = p_ti_id AND try_number = p_try AND ${keyedState("state")} = 'running'
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
             WHERE ti.dag_run_id = p_run_id AND ${keyedState("ti.state")} = 'pending' AND v_task_id = ANY(ti.upstream_task_ids)
             GROUP BY ti.id) p), '[]'::jsonb));
    END
    $fn$;
  `);
}

/** The function as 0011 defined it: the only difference is the plan, so the previous text would do; keep this one. */
export async function down(): Promise<void> {}
