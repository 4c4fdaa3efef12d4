import type { Knex } from "knex";

/**
 * The REST API's needs: login sessions (only a SHA-256 hash of each session token is stored,
 * with its expiry), `dag_runs.updated_at` (kept by a trigger on state changes, so the SSE feed
 * can poll for run changes across processes without touching any engine verb), and indexes for
 * the change feed, the audit log and the runs list filters.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sessions (
      id bigserial PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sessions_expires_idx ON sessions (expires_at);

    ALTER TABLE dag_runs ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
    CREATE FUNCTION runnel_touch_run() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END
    $fn$;
    CREATE TRIGGER dag_runs_touch BEFORE UPDATE ON dag_runs
      FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION runnel_touch_run();
    CREATE INDEX dag_runs_updated_idx ON dag_runs (updated_at);
    CREATE INDEX dag_runs_logical_date_idx ON dag_runs (logical_date DESC, id DESC);
    CREATE INDEX task_instances_updated_idx ON task_instances (updated_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX IF EXISTS task_instances_updated_idx, dag_runs_logical_date_idx, dag_runs_updated_idx;
    DROP TRIGGER IF EXISTS dag_runs_touch ON dag_runs;
    DROP FUNCTION IF EXISTS runnel_touch_run();
    ALTER TABLE dag_runs DROP COLUMN IF EXISTS updated_at;
    DROP TABLE IF EXISTS sessions;
  `);
}
