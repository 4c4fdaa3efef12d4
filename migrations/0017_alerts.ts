import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

// The lists as of this migration (server/src/model/alerts.ts).
const ALERT_EVENTS = ["task_failed", "run_failed", "deadline_missed", "check_failed", "dead_letters_over", "task_succeeded", "task_retry", "run_succeeded", "test"];
const DELIVERY_STATES = ["pending", "sent", "failing", "given_up"];

/**
 * Alerts, callbacks and deadlines (issue 10 items 1-5):
 *
 * - `alert_events`: the outbox. A row is written in the transaction of the state change that
 *   causes it: by the deferred triggers of store/sql/alertTriggers.sql for task/run/check events, by the leading scheduler's
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

    -- The triggers that write alert_events (runnel_task_alert, runnel_run_alert,
    -- runnel_check_alert) live in server/src/store/sql/alertTriggers.sql, applied after the migrations.
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
