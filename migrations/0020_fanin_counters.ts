import type { Knex } from "knex";

/**
 * Fan-in by counters (issue 11): a completion decides only its own direct downstream, by key,
 * instead of rebuilding every waiting task's upstream states under a run-wide lock.
 * - `task_instances.downstream_task_ids`: the direct downstream task ids (the reverse of
 *   `upstream_task_ids`), so a completion finds its downstream rows through the
 *   (dag_run_id, task_id) key.
 * - `task_instances.upstream_open / _success / _failed / _skipped / _removed`: how many of its
 *   direct upstream task instances are not terminal, and how many ended success,
 *   failed-or-upstream_failed, skipped, removed (enough for every trigger rule).
 * - `dag_runs.open_task_instances`: how many of the run's task instances are not terminal.
 * The trigger in server/src/store/sql/faninCounters.sql keeps them right on every state change;
 * this migration fills them in for the rows that exist.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE task_instances
    ADD COLUMN downstream_task_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN upstream_open integer NOT NULL DEFAULT 0,
    ADD COLUMN upstream_success integer NOT NULL DEFAULT 0,
    ADD COLUMN upstream_failed integer NOT NULL DEFAULT 0,
    ADD COLUMN upstream_skipped integer NOT NULL DEFAULT 0,
    ADD COLUMN upstream_removed integer NOT NULL DEFAULT 0`);
  await knex.raw("ALTER TABLE dag_runs ADD COLUMN open_task_instances integer NOT NULL DEFAULT 0");
  await knex.raw(`UPDATE task_instances t SET downstream_task_ids = d.ids
    FROM (SELECT u.id, array_agg(t2.task_id ORDER BY t2.task_id) AS ids
            FROM task_instances t2 JOIN task_instances u ON u.dag_run_id = t2.dag_run_id AND u.task_id = ANY(t2.upstream_task_ids)
           GROUP BY u.id) d
    WHERE t.id = d.id`);
  await knex.raw(`UPDATE task_instances t SET
      upstream_open = c.open, upstream_success = c.success, upstream_failed = c.failed, upstream_skipped = c.skipped, upstream_removed = c.removed
    FROM (SELECT t2.id,
                 count(*) FILTER (WHERE u.state NOT IN ('success','failed','upstream_failed','skipped','removed')) AS open,
                 count(*) FILTER (WHERE u.state = 'success') AS success,
                 count(*) FILTER (WHERE u.state IN ('failed','upstream_failed')) AS failed,
                 count(*) FILTER (WHERE u.state = 'skipped') AS skipped,
                 count(*) FILTER (WHERE u.state = 'removed') AS removed
            FROM task_instances t2 JOIN task_instances u ON u.dag_run_id = t2.dag_run_id AND u.task_id = ANY(t2.upstream_task_ids)
           GROUP BY t2.id) c
    WHERE t.id = c.id`);
  await knex.raw(`UPDATE dag_runs r SET open_task_instances = c.open
    FROM (SELECT dag_run_id, count(*) AS open FROM task_instances
           WHERE state NOT IN ('success','failed','upstream_failed','skipped','removed') GROUP BY dag_run_id) c
    WHERE r.id = c.dag_run_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DROP TRIGGER IF EXISTS task_instances_fanin ON task_instances");
  await knex.raw("DROP TRIGGER IF EXISTS task_instances_run_open ON task_instances");
  await knex.raw("DROP TRIGGER IF EXISTS task_instances_run_open_insert ON task_instances");
  await knex.raw("DROP FUNCTION IF EXISTS runnel_fanin_count(), runnel_run_open_count(), runnel_run_open_insert(), runnel_upstream_class(text)");
  await knex.raw(`ALTER TABLE task_instances DROP COLUMN downstream_task_ids, DROP COLUMN upstream_open, DROP COLUMN upstream_success,
    DROP COLUMN upstream_failed, DROP COLUMN upstream_skipped, DROP COLUMN upstream_removed`);
  await knex.raw("ALTER TABLE dag_runs DROP COLUMN open_task_instances");
}
