import type { Knex } from "knex";
import { sqlList } from "./lib/sql";

const BACKFILL_ACTIONS = ["create", "clear", "skip"];

/**
 * The dates of a backfill, planned once when it is created (`scheduler/planBackfill.ts`): one
 * row per logical date in its range with what the backfill does there (create a run, clear the
 * existing run, or leave it alone) and, once done, the run it created or cleared. This is the
 * link between a backfill and its runs: a run cleared by two backfills in turn is linked to both
 * (dag_runs.backfill_id only names the backfill that created a run). `launched_at` NULL = not
 * done yet; the scheduler launches them lazily within the backfill's max_active_runs.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE backfill_dates (
      backfill_id bigint NOT NULL REFERENCES backfills(id) ON DELETE CASCADE,
      logical_date timestamptz NOT NULL,
      data_interval_end timestamptz NOT NULL,
      action text NOT NULL CHECK (action IN (${sqlList(BACKFILL_ACTIONS)})),
      dag_run_id bigint REFERENCES dag_runs(id) ON DELETE SET NULL,
      launched_at timestamptz,
      PRIMARY KEY (backfill_id, logical_date)
    );
    CREATE INDEX backfill_dates_pending_idx ON backfill_dates (backfill_id, logical_date) WHERE launched_at IS NULL AND action <> 'skip';
    CREATE INDEX backfill_dates_run_idx ON backfill_dates (dag_run_id) WHERE dag_run_id IS NOT NULL;
    CREATE INDEX backfills_dag_idx ON backfills (dag_id, id DESC);
    CREATE INDEX backfills_active_idx ON backfills (id) WHERE state IN ('queued','running','paused');
    CREATE INDEX dag_runs_backfill_idx ON dag_runs (backfill_id) WHERE backfill_id IS NOT NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS dag_runs_backfill_idx, backfills_active_idx, backfills_dag_idx; DROP TABLE IF EXISTS backfill_dates`);
}
