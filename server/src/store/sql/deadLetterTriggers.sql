-- Task dead letters are written by triggers on task_instances, whoever changes the state (a try
-- that fails, a person marking it, a clear): one open letter per task instance, with its history.

-- Who acts, for the letter's history: the `runnel.actor` setting of the transaction (set by the
-- API and CLI verbs), else the task itself.
CREATE OR REPLACE FUNCTION runnel_dead_letter_actor() RETURNS text LANGUAGE sql STABLE AS $fn$
  SELECT coalesce(nullif(current_setting('runnel.actor', true), ''), 'task')
$fn$;

-- The run's partition as the executor names it (schedule/dates.ts partitionKey): the local
-- date of a day-aligned interval, else the local minute. (A DST-repeated hour lacks the offset suffix.)
CREATE OR REPLACE FUNCTION runnel_run_partition(p_run_id bigint) RETURNS text LANGUAGE sql STABLE AS $fn$
  SELECT CASE WHEN w::time = '00:00' THEN to_char(w, 'YYYY-MM-DD') ELSE to_char(w, 'YYYY-MM-DD"T"HH24:MI') END
    FROM (SELECT r.data_interval_start AT TIME ZONE coalesce(d.timezone, 'UTC') AS w
            FROM dag_runs r LEFT JOIN dags d ON d.dag_id = r.dag_id WHERE r.id = p_run_id) x
$fn$;

-- A task instance that ended failed opens its dead letter (or requeues the open one), at commit
-- and judged by its final state. A `dags test` run opens none: its failure is printed by the CLI.
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

-- A task instance that succeeded settles its letter: replayed when a try succeeded, resolved
-- when a person marked it.
CREATE OR REPLACE FUNCTION runnel_task_success_letter() RETURNS trigger LANGUAGE plpgsql AS $fn$
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

-- A constraint trigger cannot be replaced: dropped and created again in the same transaction.
DROP TRIGGER IF EXISTS task_instances_failed_letter ON task_instances;
CREATE CONSTRAINT TRIGGER task_instances_failed_letter
  AFTER UPDATE OF state ON task_instances DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.state = 'failed' AND OLD.state IS DISTINCT FROM 'failed')
  EXECUTE FUNCTION runnel_task_failed_letter();

CREATE OR REPLACE TRIGGER task_instances_success_letter
  AFTER UPDATE OF state ON task_instances
  FOR EACH ROW WHEN (NEW.state = 'success' AND OLD.state IS DISTINCT FROM 'success')
  EXECUTE FUNCTION runnel_task_success_letter();
