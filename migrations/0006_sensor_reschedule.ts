import type { Knex } from "knex";

/**
 * Reschedule-mode sensors. Between pokes a sensor's task instance is `up_for_reschedule` with
 * `next_try_at` (the next poke, restored by the reconciler when its delayed job is lost). The
 * try number stays the same across pokes (a reschedule is not a retry), so two columns carry
 * the sensor's progress within the current try:
 * - `sensor_started_at`: the first poke of this try; the sensor's timeout counts from it, and
 *   the UI shows it as "waiting since".
 * - `sensor_pokes`: pokes done in this try. It names the next poke's BullMQ job
 *   (`ti:<id>:<try>p<n>`) and fences its claim, so a stale delivery cannot start a second chain.
 * Both are reset when a try starts from `queued`/`up_for_retry` (see store/taskTries.claimTries).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE task_instances
      ADD COLUMN sensor_started_at timestamptz,
      ADD COLUMN sensor_pokes integer NOT NULL DEFAULT 0;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE task_instances DROP COLUMN IF EXISTS sensor_pokes, DROP COLUMN IF EXISTS sensor_started_at`);
}
