-- runnel_finish_try: the end of one try as one atomic server-side call, like BullMQ's
-- moveToFinished Lua script (store/taskTries.ts finishTries calls runnel_finish_tries).
-- It locks the run (so completions of one run are serialized and each sees its siblings), ends
-- the try fenced by try number and `running`, closes the attempt, stores the last log lines, and
-- then, with a fresh snapshot under the lock, returns the direct downstream still pending with
-- their upstream states and the count of open task instances. Trigger rules are then applied by
-- the engine (one definition, in TypeScript); the fenced update makes a late decision harmless.
-- Task dead letters and alert events are written by the triggers (deadLetterTriggers.sql, alertTriggers.sql).
--
-- The task instance is found by its key and its pending downstream by run, never through the
-- partial index of open task instances: `(state || '')` cannot match that index's predicate (see
-- keyedState in store/pgConn.ts). The downstream's upstream states are a LATERAL probe of the
-- (dag_run_id, task_id) key per downstream, so a generic plan made with statistics from before a
-- burst cannot hash-join the whole run (76 ms at 500k unanalyzed rows, 0.5 ms now).
-- The terminal states are TERMINAL_TASK_STATES of src/model/states.ts.
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
   WHERE id = p_ti_id AND try_number = p_try AND (state || '') = 'running'
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
    'open', (SELECT count(*) FROM task_instances WHERE dag_run_id = p_run_id AND state NOT IN ('success','failed','skipped','upstream_failed','removed')),
    'pending', coalesce((
      SELECT jsonb_agg(jsonb_build_object('id', p.id, 'dag_run_id', p.dag_run_id, 'dag_id', p.dag_id, 'trigger_rule', p.trigger_rule, 'upstream_states', p.upstream_states))
      FROM (
        SELECT ti.id, ti.dag_run_id, ti.dag_id, ti.trigger_rule, coalesce(up.states, '{}') AS upstream_states
          FROM task_instances ti
          CROSS JOIN LATERAL (SELECT array_agg(u.state) AS states FROM task_instances u
                               WHERE u.dag_run_id = ti.dag_run_id AND u.task_id = ANY(ti.upstream_task_ids)) up
         WHERE ti.dag_run_id = p_run_id AND (ti.state || '') = 'pending' AND v_task_id = ANY(ti.upstream_task_ids)) p), '[]'::jsonb));
END
$fn$;

-- Several tries in one call (a worker batches completions that arrive together). The caller
-- orders the items by run id, so concurrent batches take run locks in the same order.
CREATE OR REPLACE FUNCTION runnel_finish_tries(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
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
