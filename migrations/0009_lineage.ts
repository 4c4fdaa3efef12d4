import type { Knex } from "knex";

/**
 * Per-partition lineage: what each try of a task instance read (`ctx.partitions.read`,
 * `ctx.partitions.markRead`, `ctx.files.read`, check tasks). One row per try, dataset and partition.
 *
 * - `event_id`: the partition's latest `dataset_events` row when it was read, i.e. the version of
 *   the data the try saw; null when it was read but never written through Runnel (an external
 *   source), or when that event was deleted.
 * - An output event's inputs are the reads of the same task instance and try
 *   (`dataset_events.task_instance_id/try_number` = `dataset_reads.task_instance_id/try_number`):
 *   no link table is needed, and a read and a write recorded in either order still pair up.
 * - Reads belong to a try: deleting the run or task instance deletes them (the write events keep
 *   their history with a null task instance; a read without its try says nothing).
 * - Reading the same partition twice in a try is recorded once (the unique index, which also
 *   serves the "reads of this try" lookup).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE dataset_reads (
      id bigserial PRIMARY KEY,
      dataset_id bigint NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      partition text NOT NULL,
      event_id bigint REFERENCES dataset_events(id) ON DELETE SET NULL,
      task_instance_id bigint NOT NULL REFERENCES task_instances(id) ON DELETE CASCADE,
      dag_run_id bigint NOT NULL REFERENCES dag_runs(id) ON DELETE CASCADE,
      try_number integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX dataset_reads_partition_idx ON dataset_reads (dataset_id, partition);
    CREATE UNIQUE INDEX dataset_reads_try_uq ON dataset_reads (task_instance_id, try_number, dataset_id, partition);
    CREATE INDEX dataset_reads_event_idx ON dataset_reads (event_id) WHERE event_id IS NOT NULL;
    -- Lineage walks look up the writes of a task instance and try.
    CREATE INDEX dataset_events_try_idx ON dataset_events (task_instance_id, try_number) WHERE task_instance_id IS NOT NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS dataset_events_try_idx; DROP TABLE IF EXISTS dataset_reads`);
}
