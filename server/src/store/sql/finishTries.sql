-- runnel_finish_try: the end of one try as one atomic server-side call, like BullMQ's
-- moveToFinished Lua script (store/taskTries.ts finishTries calls runnel_finish_tries).
-- It ends the try fenced by try number and `running`, closes the attempt, stores the last log
-- lines, and returns the direct downstream still pending with their upstream counters. No run-wide
-- lock: the fan-in trigger (faninCounters.sql) moves each downstream's counters in the same
-- statement that ends the try, holding that downstream row locked until commit, so the counters
-- read here include every completion committed before and no later one can be missed (the later
-- completion reads after its own change). Trigger rules are then applied by the engine (one
-- definition, in TypeScript) in a statement fenced on `pending` and on the counters it read, so
-- a late or duplicate decision is harmless. Work is proportional to this task's own edges.
-- Task dead letters and alert events are written by the triggers (deadLetterTriggers.sql, alertTriggers.sql).
--
-- The task instance is found by its key and its pending downstream by (run, task id), never
-- through the partial index of open task instances: `(state || '')` cannot match that index's
-- predicate (see keyedState in store/pgConn.ts).
CREATE OR REPLACE FUNCTION runnel_finish_try(
  p_run_id bigint, p_ti_id bigint, p_try integer, p_state text, p_output jsonb,
  p_attempt_state text, p_error text, p_error_code text, p_logs jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_downstream text[];
BEGIN
  UPDATE task_instances SET state = p_state, output = p_output, end_date = clock_timestamp(),
         heartbeat_at = NULL, updated_at = clock_timestamp()
   WHERE id = p_ti_id AND try_number = p_try AND (state || '') = 'running'
   RETURNING downstream_task_ids INTO v_downstream;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('won', false);
  END IF;
  UPDATE task_attempts SET state = p_attempt_state, end_date = clock_timestamp(), error = p_error, error_code = p_error_code
   WHERE task_instance_id = p_ti_id AND try_number = p_try;
  IF jsonb_array_length(p_logs) > 0 THEN
    INSERT INTO task_logs (task_instance_id, try_number, ts, level, message, fields)
    SELECT p_ti_id, p_try, l.ts, l.level, l.message, l.fields
      FROM jsonb_to_recordset(p_logs) AS l(ts timestamptz, level text, message text, fields jsonb);
  END IF;
  IF cardinality(v_downstream) = 0 THEN
    RETURN jsonb_build_object('won', true, 'pending', '[]'::jsonb);
  END IF;
  RETURN jsonb_build_object(
    'won', true,
    'pending', coalesce((
      SELECT jsonb_agg(jsonb_build_object('id', d.id, 'dag_run_id', d.dag_run_id, 'dag_id', d.dag_id, 'trigger_rule', d.trigger_rule,
               'upstream_open', d.upstream_open, 'upstream_success', d.upstream_success, 'upstream_failed', d.upstream_failed,
               'upstream_skipped', d.upstream_skipped, 'upstream_removed', d.upstream_removed))
        FROM task_instances d
       WHERE d.dag_run_id = p_run_id AND d.task_id = ANY(v_downstream) AND (d.state || '') = 'pending'), '[]'::jsonb));
END
$fn$;

-- Several tries in one call (a worker batches completions that arrive together). First the rows
-- it will write (the tries' task instances and their direct downstream) are locked in id order,
-- the order every multi-row locker of task instances uses (store/taskActions.ts), so two batches,
-- or a batch and a clear, never wait for each other in a cycle. Then each try ends, and last the
-- runs' open counts are moved (the deferred run_open trigger fired now: the run row, written by
-- every completion of the run, stays locked only from here to the commit) and read: each won
-- item carries `open`, its run's open task instances after the batch.
CREATE OR REPLACE FUNCTION runnel_finish_tries(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_item jsonb;
  v_ids bigint[];
  v_results jsonb[] := '{}';
  v_runs bigint[] := '{}';
  v_open jsonb;
  v_out jsonb := '[]'::jsonb;
  v_n integer;
BEGIN
  SELECT array_agg((e.value->>'id')::bigint) INTO v_ids FROM jsonb_array_elements(p_items) AS e(value);
  -- Every row by its key: the ids as one array (`= ANY(ARRAY(...))`, an index condition) and each
  -- downstream row through LATERAL ... OFFSET 0, so no plan can hash a run or scan the table,
  -- whatever the statistics say.
  PERFORM 1 FROM task_instances t
    WHERE t.id = ANY(ARRAY(SELECT unnest(v_ids)
                           UNION SELECT x.id FROM task_instances s
                             CROSS JOIN LATERAL (SELECT d.id FROM task_instances d
                                                  WHERE d.dag_run_id = s.dag_run_id AND d.task_id = ANY(s.downstream_task_ids) OFFSET 0) x
                            WHERE s.id = ANY(v_ids)))
    ORDER BY t.id FOR UPDATE OF t;
  FOR v_item IN SELECT e.value FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
    v_results := array_append(v_results, runnel_finish_try(
      (v_item->>'run')::bigint, (v_item->>'id')::bigint, (v_item->>'try')::integer, v_item->>'state',
      CASE WHEN jsonb_exists(v_item, 'output') THEN v_item->'output' END,
      v_item->>'attemptState', v_item->>'error', v_item->>'errorCode', coalesce(v_item->'logs', '[]'::jsonb)));
    v_runs := array_append(v_runs, (v_item->>'run')::bigint);
  END LOOP;
  SET CONSTRAINTS task_instances_run_open IMMEDIATE;
  SELECT coalesce(jsonb_object_agg(r.id::text, r.open_task_instances), '{}'::jsonb) INTO v_open
    FROM dag_runs r WHERE r.id = ANY(v_runs);
  FOR v_n IN 1 .. coalesce(array_length(v_results, 1), 0) LOOP
    v_out := v_out || jsonb_build_array(CASE WHEN (v_results[v_n]->>'won')::boolean
      THEN v_results[v_n] || jsonb_build_object('open', v_open->(v_runs[v_n]::text)) ELSE v_results[v_n] END);
  END LOOP;
  RETURN v_out;
END
$fn$;
