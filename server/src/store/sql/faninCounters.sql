-- Fan-in counters (migration 0020): every task instance counts its direct upstream task instances
-- by class (open, success, failed = failed or upstream_failed, skipped, removed), and every run
-- counts its open task instances. These triggers are the one path that keeps them right: any
-- state change (a try ending, a trigger-rule decision, clear, mark, cancel, reprocess) moves the
-- counters by the delta of its class, so no caller maintains them by hand. Run creation
-- (store/runs.ts createRunOn) inserts the task instances with their downstream ids and their
-- upstream counters set (all pending); the run's open count is added by the insert trigger.
--
-- runnel_upstream_class is the classification of src/model/triggerRules.ts countUpstreamStates
-- (the terminal states are TERMINAL_TASK_STATES of src/model/states.ts); the property test
-- store.faninCounters.property.test.ts checks the two agree.
CREATE OR REPLACE FUNCTION runnel_upstream_class(p_state text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE p_state
    WHEN 'success' THEN 'success'
    WHEN 'failed' THEN 'failed'
    WHEN 'upstream_failed' THEN 'failed'
    WHEN 'skipped' THEN 'skipped'
    WHEN 'removed' THEN 'removed'
    ELSE 'open' END
$fn$;

-- The direct downstream's counters follow a state change that changes the class. One UPDATE by
-- the (dag_run_id, task_id) key, work proportional to this task's own edges; it row-locks the
-- downstream rows (the one join row of a fan-in is the only contended row).
CREATE OR REPLACE FUNCTION runnel_fanin_count() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_old text := runnel_upstream_class(OLD.state);
  v_new text := runnel_upstream_class(NEW.state);
BEGIN
  UPDATE task_instances d SET
    upstream_open = d.upstream_open + (v_new = 'open')::int - (v_old = 'open')::int,
    upstream_success = d.upstream_success + (v_new = 'success')::int - (v_old = 'success')::int,
    upstream_failed = d.upstream_failed + (v_new = 'failed')::int - (v_old = 'failed')::int,
    upstream_skipped = d.upstream_skipped + (v_new = 'skipped')::int - (v_old = 'skipped')::int,
    upstream_removed = d.upstream_removed + (v_new = 'removed')::int - (v_old = 'removed')::int
   WHERE d.dag_run_id = NEW.dag_run_id AND d.task_id = ANY(NEW.downstream_task_ids);
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER task_instances_fanin
  AFTER UPDATE OF state ON task_instances
  FOR EACH ROW WHEN (runnel_upstream_class(OLD.state) <> runnel_upstream_class(NEW.state) AND cardinality(NEW.downstream_task_ids) > 0)
  EXECUTE FUNCTION runnel_fanin_count();

-- The run's open count follows a task instance becoming terminal or open again. Deferred to the
-- commit, so the run row (the one row every completion of the run writes) is locked only for the
-- end of the transaction; runnel_finish_tries fires it early (SET CONSTRAINTS ... IMMEDIATE) as
-- its last step, to read the count it leaves.
CREATE OR REPLACE FUNCTION runnel_run_open_count() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE dag_runs SET open_task_instances = open_task_instances + CASE WHEN runnel_upstream_class(NEW.state) = 'open' THEN 1 ELSE -1 END
   WHERE id = NEW.dag_run_id;
  RETURN NULL;
END
$fn$;

-- A constraint trigger cannot be replaced: dropped and created again in the same transaction.
DROP TRIGGER IF EXISTS task_instances_run_open ON task_instances;
CREATE CONSTRAINT TRIGGER task_instances_run_open
  AFTER UPDATE OF state ON task_instances DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN ((runnel_upstream_class(OLD.state) = 'open') <> (runnel_upstream_class(NEW.state) = 'open'))
  EXECUTE FUNCTION runnel_run_open_count();

-- Inserted task instances: their runs' open counts, one UPDATE per run per statement.
CREATE OR REPLACE FUNCTION runnel_run_open_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE dag_runs r SET open_task_instances = r.open_task_instances + n.open
    FROM (SELECT dag_run_id, count(*) AS open FROM new_rows WHERE runnel_upstream_class(state) = 'open' GROUP BY dag_run_id) n
   WHERE r.id = n.dag_run_id;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER task_instances_run_open_insert
  AFTER INSERT ON task_instances REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION runnel_run_open_insert();
