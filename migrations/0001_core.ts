import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

// The persisted lists as this migration creates them (later migrations alter the constraints).
const TASK_STATES = ["pending", "scheduled", "queued", "running", "success", "failed", "up_for_retry", "up_for_reschedule", "upstream_failed", "skipped", "removed"];
const RUN_STATES = ["queued", "running", "success", "failed", "canceled"];
const RUN_TYPES = ["scheduled", "manual", "backfill", "dataset_triggered"];
const ATTEMPT_STATES = ["running", "success", "failed", "skipped", "lost", "rescheduled"];
const TRIGGER_RULES = ["all_success", "all_done", "all_failed", "one_success", "one_failed", "none_failed", "none_failed_min_one_success", "none_skipped", "always"];
const BACKFILL_STATES = ["queued", "running", "paused", "completed", "canceled"];
const DEAD_LETTER_KINDS = ["record", "task"];
const DEAD_LETTER_STATUSES = ["open", "replay_pending", "replayed", "discarded", "resolved"];
const USER_ROLES = ["viewer", "operator", "admin"];

/** The core tables. Names are part of the contract (DESIGN.md); columns are Runnel's own. */
export async function up(knex: Knex): Promise<void> {
  const check = (column: string, values: readonly string[]) => `CHECK (${column} IN (${sqlList(values)}))`;

  await knex.raw(`
    CREATE TABLE dags (
      dag_id text PRIMARY KEY,
      fileloc text NOT NULL,
      is_paused boolean NOT NULL DEFAULT false,
      is_active boolean NOT NULL DEFAULT true,
      latest_version_id bigint,
      schedule text,
      timezone text NOT NULL DEFAULT 'UTC',
      description text,
      tags jsonb NOT NULL DEFAULT '[]',
      last_parsed_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE dag_versions (
      id bigserial PRIMARY KEY,
      dag_id text NOT NULL REFERENCES dags(dag_id) ON DELETE CASCADE,
      version_hash text NOT NULL,
      graph jsonb NOT NULL,
      source text NOT NULL,
      fileloc text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (dag_id, version_hash)
    );
    ALTER TABLE dags ADD CONSTRAINT dags_latest_version_fk FOREIGN KEY (latest_version_id) REFERENCES dag_versions(id) DEFERRABLE INITIALLY DEFERRED;

    CREATE TABLE dag_import_errors (
      id bigserial PRIMARY KEY,
      fileloc text NOT NULL UNIQUE,
      message text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE backfills (
      id bigserial PRIMARY KEY,
      dag_id text NOT NULL REFERENCES dags(dag_id) ON DELETE CASCADE,
      from_date timestamptz NOT NULL,
      to_date timestamptz NOT NULL,
      reprocess text NOT NULL DEFAULT 'missing' CHECK (reprocess IN ('missing','failed','all')),
      max_active_runs integer NOT NULL DEFAULT 10,
      run_order text NOT NULL DEFAULT 'oldest' CHECK (run_order IN ('oldest','newest')),
      conf jsonb NOT NULL DEFAULT '{}',
      state text NOT NULL DEFAULT 'queued' ${check("state", BACKFILL_STATES)},
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    );

    CREATE TABLE dag_runs (
      id bigserial PRIMARY KEY,
      dag_id text NOT NULL REFERENCES dags(dag_id) ON DELETE CASCADE,
      run_id text NOT NULL,
      run_type text NOT NULL ${check("run_type", RUN_TYPES)},
      state text NOT NULL ${check("state", RUN_STATES)},
      logical_date timestamptz NOT NULL,
      data_interval_start timestamptz NOT NULL,
      data_interval_end timestamptz NOT NULL,
      dag_version_id bigint NOT NULL REFERENCES dag_versions(id),
      conf jsonb NOT NULL DEFAULT '{}',
      backfill_id bigint REFERENCES backfills(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      start_date timestamptz,
      end_date timestamptz,
      UNIQUE (dag_id, run_id)
    );
    -- One scheduled or backfill run per logical date: the database, not code, prevents duplicates.
    CREATE UNIQUE INDEX dag_runs_dag_logical_date_uq ON dag_runs (dag_id, logical_date) WHERE run_type IN ('scheduled','backfill');
    CREATE INDEX dag_runs_dag_logical_date_idx ON dag_runs (dag_id, logical_date DESC, id DESC);
    CREATE INDEX dag_runs_active_idx ON dag_runs (dag_id, state) WHERE state IN ('queued','running');

    CREATE TABLE task_instances (
      id bigserial PRIMARY KEY,
      dag_run_id bigint NOT NULL REFERENCES dag_runs(id) ON DELETE CASCADE,
      dag_id text NOT NULL,
      task_id text NOT NULL,
      state text NOT NULL ${check("state", TASK_STATES)},
      try_number integer NOT NULL DEFAULT 0,
      max_tries integer NOT NULL DEFAULT 1,
      trigger_rule text NOT NULL DEFAULT 'all_success' ${check("trigger_rule", TRIGGER_RULES)},
      upstream_task_ids text[] NOT NULL DEFAULT '{}',
      priority_weight integer NOT NULL DEFAULT 1,
      queue_priority integer NOT NULL DEFAULT 0,
      output jsonb,
      worker text,
      queued_at timestamptz,
      start_date timestamptz,
      end_date timestamptz,
      heartbeat_at timestamptz,
      next_try_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (dag_run_id, task_id)
    );
    CREATE INDEX task_instances_open_idx ON task_instances (state, dag_id) WHERE state IN ('pending','scheduled','queued','running','up_for_retry','up_for_reschedule');
    CREATE INDEX task_instances_dag_task_idx ON task_instances (dag_id, task_id);

    CREATE TABLE task_attempts (
      id bigserial PRIMARY KEY,
      task_instance_id bigint NOT NULL REFERENCES task_instances(id) ON DELETE CASCADE,
      try_number integer NOT NULL,
      state text NOT NULL ${check("state", ATTEMPT_STATES)},
      worker text,
      queued_at timestamptz,
      start_date timestamptz NOT NULL DEFAULT now(),
      end_date timestamptz,
      error text,
      error_code text,
      UNIQUE (task_instance_id, try_number)
    );

    CREATE TABLE task_logs (
      id bigserial PRIMARY KEY,
      task_instance_id bigint NOT NULL REFERENCES task_instances(id) ON DELETE CASCADE,
      try_number integer NOT NULL,
      ts timestamptz NOT NULL DEFAULT now(),
      level text NOT NULL,
      message text NOT NULL,
      fields jsonb
    );
    CREATE INDEX task_logs_ti_idx ON task_logs (task_instance_id, try_number, id);

    CREATE TABLE datasets (
      id bigserial PRIMARY KEY,
      uri text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE dataset_events (
      id bigserial PRIMARY KEY,
      dataset_id bigint NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      partition text,
      row_count bigint,
      checksum text,
      task_instance_id bigint REFERENCES task_instances(id) ON DELETE SET NULL,
      dag_run_id bigint REFERENCES dag_runs(id) ON DELETE SET NULL,
      try_number integer,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX dataset_events_dataset_idx ON dataset_events (dataset_id, partition, id DESC);

    CREATE TABLE dead_letters (
      id bigserial PRIMARY KEY,
      kind text NOT NULL ${check("kind", DEAD_LETTER_KINDS)},
      status text NOT NULL DEFAULT 'open' ${check("status", DEAD_LETTER_STATUSES)},
      dag_id text NOT NULL,
      task_id text NOT NULL,
      task_instance_id bigint REFERENCES task_instances(id) ON DELETE SET NULL,
      dag_run_id bigint REFERENCES dag_runs(id) ON DELETE SET NULL,
      try_number integer,
      partition text,
      record_key text,
      payload jsonb,
      error text NOT NULL,
      issues jsonb,
      attempts integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX dead_letters_open_idx ON dead_letters (dag_id, task_id, status);

    CREATE TABLE users (
      id bigserial PRIMARY KEY,
      username text NOT NULL UNIQUE,
      password_hash text NOT NULL,
      role text NOT NULL ${check("role", USER_ROLES)},
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE api_tokens (
      id bigserial PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      actor text NOT NULL,
      action text NOT NULL,
      target text,
      details jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS audit_log, api_tokens, users, dead_letters, dataset_events, datasets, task_logs,
      task_attempts, task_instances, dag_runs, backfills, dag_import_errors CASCADE;
    ALTER TABLE IF EXISTS dags DROP CONSTRAINT IF EXISTS dags_latest_version_fk;
    DROP TABLE IF EXISTS dag_versions, dags CASCADE;
  `);
}
