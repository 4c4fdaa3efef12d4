import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

// The lists as of this migration (server/src/model/alerts.ts).
const ALERT_EVENTS = ["task_failed", "run_failed", "deadline_missed", "check_failed", "dead_letters_over", "task_succeeded", "task_retry", "run_succeeded", "test"];
const DELIVERY_STATES = ["pending", "sent", "failing", "given_up"];

/**
 * Alerts, callbacks and deadlines (issue 10 items 1-5):
 *
 * - `alert_events`: the outbox. A row is written in the transaction of the state change that
 *   causes it: by the deferred triggers below for task/run/check events, by the leading scheduler's
 *   statements for deadlines and dead-letter thresholds, by the API for a test alert. `id` is the
 *   event's stable id (webhook `id`, header `Runnel-Alert-Id`, idempotency key); `seq` orders them.
 *   `fanned_out_at` is set by the sender that created the event's delivery rows (one per
 *   configured channel and DAG/task callback), in the transaction that creates them.
 * - `alert_deliveries`: one row per event and channel with its state, attempts, last error and
 *   when it is due again; `leased_until` keeps two senders from sending the same row at once.
 * - `alert_thresholds`: which DAGs are over the dead-letter threshold now (one event on the way
 *   up, none again until the count falls back below it).
 * - `dag_runs.deadline_at` / `task_instances.deadline_at`: when the run (DAG `deadline`) or the
 *   task (`expectedDuration`, set when its first try starts) must have finished;
 *   `deadline_missed_at` when the leading scheduler found it missed (and wrote the event).
 * - `notify_on`: the callback-only events (task_succeeded, task_retry, run_succeeded) that this
 *   run or task instance must write because its DAG declares such a callback. Empty for everyone
 *   else, so a success costs nothing more than before: the triggers' WHEN clauses read it.
 * - Test runs (`dags test`) never alert. A person's "mark failed" writes no task_failed (the
 *   person knows; `runnel.actor` is set), but a run that ends failed because of it does alert.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE alert_events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      seq bigserial NOT NULL UNIQUE,
      event text NOT NULL CHECK (event IN (${sqlList(ALERT_EVENTS)})),
      dag_id text,
      dag_run_id bigint REFERENCES dag_runs(id) ON DELETE SET NULL,
      run_id text,
      logical_date timestamptz,
      task_instance_id bigint REFERENCES task_instances(id) ON DELETE SET NULL,
      task_id text,
      try_number integer,
      error text,
      details jsonb NOT NULL DEFAULT '{}',
      occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      fanned_out_at timestamptz
    );
    CREATE INDEX alert_events_unfanned_idx ON alert_events (seq) WHERE fanned_out_at IS NULL;
    CREATE INDEX alert_events_dag_idx ON alert_events (dag_id, seq DESC);
    CREATE INDEX alert_events_occurred_idx ON alert_events (occurred_at);
    CREATE INDEX alert_events_run_idx ON alert_events (dag_run_id) WHERE dag_run_id IS NOT NULL;
    CREATE INDEX alert_events_ti_idx ON alert_events (task_instance_id) WHERE task_instance_id IS NOT NULL;

    CREATE TABLE alert_deliveries (
      id bigserial PRIMARY KEY,
      event_id uuid NOT NULL REFERENCES alert_events(id) ON DELETE CASCADE,
      channel text NOT NULL,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN (${sqlList(DELIVERY_STATES)})),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      leased_until timestamptz,
      sent_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      UNIQUE (event_id, channel)
    );
    CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE state IN ('pending','failing');

    CREATE TABLE alert_thresholds (
      dag_id text PRIMARY KEY,
      over_since timestamptz NOT NULL,
      event_id uuid REFERENCES alert_events(id) ON DELETE SET NULL
    );

    ALTER TABLE dag_runs ADD COLUMN deadline_at timestamptz;
    ALTER TABLE dag_runs ADD COLUMN deadline_missed_at timestamptz;
    ALTER TABLE dag_runs ADD COLUMN notify_on text[] NOT NULL DEFAULT '{}';
    ALTER TABLE task_instances ADD COLUMN expected_duration_ms bigint;
    ALTER TABLE task_instances ADD COLUMN deadline_at timestamptz;
    ALTER TABLE task_instances ADD COLUMN deadline_missed_at timestamptz;
    ALTER TABLE task_instances ADD COLUMN notify_on text[] NOT NULL DEFAULT '{}';
    CREATE INDEX dag_runs_deadline_idx ON dag_runs (deadline_at)
      WHERE deadline_at IS NOT NULL AND deadline_missed_at IS NULL AND state IN ('queued','running');
    CREATE INDEX task_instances_deadline_idx ON task_instances (deadline_at)
      WHERE deadline_at IS NOT NULL AND deadline_missed_at IS NULL AND state IN ('pending','scheduled','queued','running','up_for_retry','up_for_reschedule');

    -- A task instance's own event: task_failed (not when a person marked it), and for tasks with
    -- such callbacks task_succeeded / task_retry. Deferred to commit: runnel_finish_try writes the
    -- attempt's error after the state, and a row changed again before commit is judged by its final state.
    CREATE FUNCTION runnel_task_alert() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
    CREATE CONSTRAINT TRIGGER task_instances_alert
      AFTER UPDATE OF state ON task_instances DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND (
        NEW.state = 'failed'
        OR (NEW.state = 'success' AND OLD.state = 'running' AND 'task_succeeded' = ANY(NEW.notify_on))
        OR (NEW.state = 'up_for_retry' AND 'task_retry' = ANY(NEW.notify_on))))
      EXECUTE FUNCTION runnel_task_alert();

    -- A run's end: run_failed always, run_succeeded for DAGs with an onSuccess callback. A run
    -- that ends after its deadline records by how much (details.lateMs).
    CREATE FUNCTION runnel_run_alert() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
    CREATE CONSTRAINT TRIGGER dag_runs_alert
      AFTER UPDATE OF state ON dag_runs DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND (
        NEW.state = 'failed' OR (NEW.state = 'success' AND 'run_succeeded' = ANY(NEW.notify_on))))
      EXECUTE FUNCTION runnel_run_alert();

    -- An error-severity check that failed: one event per check try, naming every failed expectation.
    CREATE FUNCTION runnel_check_alert() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
    CREATE TRIGGER check_results_alert
      AFTER INSERT ON check_results
      FOR EACH ROW WHEN (NEW.severity = 'error' AND NOT NEW.passed)
      EXECUTE FUNCTION runnel_check_alert();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER IF EXISTS check_results_alert ON check_results;
    DROP TRIGGER IF EXISTS dag_runs_alert ON dag_runs;
    DROP TRIGGER IF EXISTS task_instances_alert ON task_instances;
    DROP FUNCTION IF EXISTS runnel_check_alert();
    DROP FUNCTION IF EXISTS runnel_run_alert();
    DROP FUNCTION IF EXISTS runnel_task_alert();
    DROP INDEX IF EXISTS task_instances_deadline_idx, dag_runs_deadline_idx;
    ALTER TABLE task_instances DROP COLUMN IF EXISTS notify_on, DROP COLUMN IF EXISTS deadline_missed_at, DROP COLUMN IF EXISTS deadline_at, DROP COLUMN IF EXISTS expected_duration_ms;
    ALTER TABLE dag_runs DROP COLUMN IF EXISTS notify_on, DROP COLUMN IF EXISTS deadline_missed_at, DROP COLUMN IF EXISTS deadline_at;
    DROP TABLE IF EXISTS alert_thresholds;
    DROP TABLE IF EXISTS alert_deliveries;
    DROP TABLE IF EXISTS alert_events;
  `);
}
