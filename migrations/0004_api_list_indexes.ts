import type { Knex } from "knex";

/**
 * Indexes for the runs list filters at scale (10,000+ runs per DAG, see `pnpm bench`'s API scale
 * phase). The runs list is keyset-paged newest first on (logical_date, id); without these, a
 * state or run type filter walks the DAG's whole (dag_id, logical_date, id) index and drops every
 * row that does not match, so a rare state (3 running runs among 10,000) costs a scan of all of
 * them. With the filter column between dag_id and the sort key, each page is one index range.
 * `run_type` never changes after insert, so its index costs nothing on state updates; the state
 * ones add one index entry per run state change (a few per run, against ~20 task updates).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX dag_runs_dag_state_logical_idx ON dag_runs (dag_id, state, logical_date DESC, id DESC);
    CREATE INDEX dag_runs_dag_type_logical_idx ON dag_runs (dag_id, run_type, logical_date DESC, id DESC);
    CREATE INDEX dag_runs_state_logical_idx ON dag_runs (state, logical_date DESC, id DESC);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS dag_runs_state_logical_idx, dag_runs_dag_type_logical_idx, dag_runs_dag_state_logical_idx`);
}
