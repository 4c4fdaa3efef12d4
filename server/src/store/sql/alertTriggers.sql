-- Alert events (read by the alert sender, alerts/): written by triggers, so every path that ends a
-- task, a run or a check raises them. Constraint triggers cannot be replaced: each is dropped and
-- created again in the same transaction.

-- A task instance's own event: task_failed (not when a person marked it), and for tasks with
-- such callbacks task_succeeded / task_retry. Deferred to commit: runnel_finish_try writes the
-- attempt's error after the state, and a row changed again before commit is judged by its final state.
CREATE OR REPLACE FUNCTION runnel_task_alert() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_state text;
  v_try integer;
  v_event text;
  v_error text;
  v_run record;
BEGIN
  SELECT state, try_number INTO v_state, v_try FROM task_instances WHERE id = NEW.id;
  IF v_state IS DISTINCT FROM NEW.state THEN
    RETURN NULL; -- changed again before commit
  END IF;
  v_event := CASE NEW.state WHEN 'failed' THEN 'task_failed' WHEN 'success' THEN 'task_succeeded' WHEN 'up_for_retry' THEN 'task_retry' END;
  IF v_event = 'task_failed' AND runnel_dead_letter_actor() <> 'task' THEN
    RETURN NULL; -- a person marked it failed
  END IF;
  SELECT run_id, run_type, logical_date INTO v_run FROM dag_runs WHERE id = NEW.dag_run_id;
  IF v_run.run_type = 'test' THEN
    RETURN NULL;
  END IF;
  IF v_event = 'task_retry' THEN
    v_try := v_try - 1; -- the try that failed; try_number already names the next one
  END IF;
  IF v_event <> 'task_succeeded' THEN
    SELECT error INTO v_error FROM task_attempts WHERE task_instance_id = NEW.id AND try_number = v_try;
    v_error := coalesce(v_error, 'failed');
  END IF;
  INSERT INTO alert_events (event, dag_id, dag_run_id, run_id, logical_date, task_instance_id, task_id, try_number, error, details)
  VALUES (v_event, NEW.dag_id, NEW.dag_run_id, v_run.run_id, v_run.logical_date, NEW.id, NEW.task_id, v_try, v_error,
          CASE WHEN v_event = 'task_retry' THEN jsonb_build_object('nextTryAt', NEW.next_try_at, 'maxTries', NEW.max_tries) ELSE '{}'::jsonb END);
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS task_instances_alert ON task_instances;
CREATE CONSTRAINT TRIGGER task_instances_alert
  AFTER UPDATE OF state ON task_instances DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND (
    NEW.state = 'failed'
    OR (NEW.state = 'success' AND OLD.state = 'running' AND 'task_succeeded' = ANY(NEW.notify_on))
    OR (NEW.state = 'up_for_retry' AND 'task_retry' = ANY(NEW.notify_on))))
  EXECUTE FUNCTION runnel_task_alert();

-- A run's end: run_failed always, run_succeeded for DAGs with an onSuccess callback. A run
-- that ends after its deadline records by how much (details.lateMs).
CREATE OR REPLACE FUNCTION runnel_run_alert() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_run record;
  v_event text;
  v_error text;
  v_details jsonb := '{}'::jsonb;
BEGIN
  SELECT * INTO v_run FROM dag_runs WHERE id = NEW.id;
  IF v_run.state IS DISTINCT FROM NEW.state OR v_run.run_type = 'test' THEN
    RETURN NULL;
  END IF;
  v_event := CASE v_run.state WHEN 'failed' THEN 'run_failed' ELSE 'run_succeeded' END;
  IF v_event = 'run_failed' THEN
    SELECT 'failed tasks: ' || string_agg(task_id || ' (' || state || ')', ', ' ORDER BY task_id) INTO v_error
      FROM task_instances WHERE dag_run_id = NEW.id AND state IN ('failed','upstream_failed');
    v_error := coalesce(v_error, 'run failed');
  END IF;
  IF v_run.deadline_at IS NOT NULL AND v_run.end_date > v_run.deadline_at THEN
    v_details := jsonb_build_object('deadlineAt', v_run.deadline_at,
      'lateMs', floor(extract(epoch FROM v_run.end_date - v_run.deadline_at) * 1000)::bigint);
  END IF;
  INSERT INTO alert_events (event, dag_id, dag_run_id, run_id, logical_date, error, details)
  VALUES (v_event, v_run.dag_id, v_run.id, v_run.run_id, v_run.logical_date, v_error, v_details);
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS dag_runs_alert ON dag_runs;
CREATE CONSTRAINT TRIGGER dag_runs_alert
  AFTER UPDATE OF state ON dag_runs DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND (
    NEW.state = 'failed' OR (NEW.state = 'success' AND 'run_succeeded' = ANY(NEW.notify_on))))
  EXECUTE FUNCTION runnel_run_alert();

-- An error-severity check that failed: one event per check try, naming every failed expectation.
CREATE OR REPLACE FUNCTION runnel_check_alert() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_run record;
  v_line text := format('%s on %s [%s]: observed %s, expected %s', NEW.expectation, NEW.dataset, NEW.partition, NEW.observed, NEW.threshold);
  v_id uuid;
BEGIN
  SELECT run_id, run_type, logical_date INTO v_run FROM dag_runs WHERE id = NEW.dag_run_id;
  IF v_run.run_type = 'test' THEN
    RETURN NULL;
  END IF;
  SELECT id INTO v_id FROM alert_events
   WHERE event = 'check_failed' AND task_instance_id = NEW.task_instance_id AND try_number = NEW.try_number AND fanned_out_at IS NULL
   FOR UPDATE;
  IF FOUND THEN
    UPDATE alert_events SET error = error || '; ' || v_line,
           details = jsonb_set(details, '{expectations}', (details->'expectations') || to_jsonb(NEW.expectation))
     WHERE id = v_id;
  ELSE
    INSERT INTO alert_events (event, dag_id, dag_run_id, run_id, logical_date, task_instance_id, task_id, try_number, error, details)
    VALUES ('check_failed', NEW.dag_id, NEW.dag_run_id, v_run.run_id, v_run.logical_date, NEW.task_instance_id, NEW.task_id, NEW.try_number,
            v_line, jsonb_build_object('dataset', NEW.dataset, 'partition', NEW.partition, 'expectations', jsonb_build_array(NEW.expectation)));
  END IF;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER check_results_alert
  AFTER INSERT ON check_results
  FOR EACH ROW WHEN (NEW.severity = 'error' AND NOT NEW.passed)
  EXECUTE FUNCTION runnel_check_alert();
