import type { TaskState } from "../model/states";
import type { Db } from "./db";
import type { LogLine } from "./taskLogs";
import { withConn } from "./pgConn";

/** A reschedule-mode sensor poke that returned false, as the worker saw it. */
export interface RescheduleRequest {
  id: number;
  tryNumber: number;
  /** When the next poke is due (stored as `next_try_at`). */
  nextPokeAt: Date;
  /** The first poke of this try; kept when already set (the timeout counts from it). */
  firstPokeAt: Date;
  logLines?: LogLine[];
}

/**
 * A sensor poke said "not yet": `running` -> `up_for_reschedule` for the SAME try number (a
 * reschedule is not a retry), with `next_try_at` so a lost delayed job can be restored,
 * `sensor_pokes + 1` and `sensor_started_at` kept from the first poke. The try's attempt row
 * becomes `rescheduled` (still open: no end date) and the poke's log lines are stored. One
 * statement, fenced on try number and `running`.
 * @returns the pokes done in this try (which names the next poke's job), or null when the fence refused.
 */
export async function rescheduleTry(db: Db, req: RescheduleRequest): Promise<number | null> {
  const r = await withConn(db, (conn) =>
    conn.query<{ sensor_pokes: number }>(
      `WITH upd AS (
         UPDATE task_instances SET state = 'up_for_reschedule', next_try_at = $1, sensor_started_at = coalesce(sensor_started_at, $2),
           sensor_pokes = sensor_pokes + 1, heartbeat_at = NULL, updated_at = clock_timestamp()
         WHERE id = $3 AND try_number = $4 AND state = 'running' RETURNING id, try_number, sensor_pokes),
       att AS (
         UPDATE task_attempts a SET state = 'rescheduled' FROM upd
         WHERE a.task_instance_id = upd.id AND a.try_number = upd.try_number RETURNING 1),
       logs AS (
         INSERT INTO task_logs (task_instance_id, try_number, ts, level, message, fields)
         SELECT upd.id, upd.try_number, l.ts, l.level, l.message, l.fields
         FROM upd CROSS JOIN jsonb_to_recordset($5::jsonb) AS l(ts timestamptz, level text, message text, fields jsonb) RETURNING 1)
       SELECT sensor_pokes, (SELECT count(*) FROM att) + (SELECT count(*) FROM logs) AS side_effects FROM upd`,
      [req.nextPokeAt, req.firstPokeAt, req.id, req.tryNumber, JSON.stringify(req.logLines ?? [])],
    ),
  );
  return r.rows[0]?.sensor_pokes ?? null;
}

/**
 * State of `dagId.taskId` in the runs of `logicalDate` (external-task sensors): `success` when
 * any such run's instance succeeded, else the state in the newest such run, or null when none.
 */
export async function taskStateForLogicalDate(db: Db, dagId: string, taskId: string, logicalDate: Date): Promise<TaskState | null> {
  const row = await db("task_instances as t")
    .join("dag_runs as r", "r.id", "t.dag_run_id")
    .where({ "r.dag_id": dagId, "r.logical_date": logicalDate, "t.task_id": taskId })
    .orderByRaw("(t.state = 'success') DESC, r.id DESC")
    .first<{ state: TaskState } | undefined>("t.state");
  return row?.state ?? null;
}

/**
 * Whether a `dataset_events` row exists for dataset `uri` (and `partition`, unless null = any
 * partition). Dataset uris are what the writers record: "schema.table" for partition overwrites.
 */
export async function datasetPartitionWritten(db: Db, uri: string, partition: string | null): Promise<boolean> {
  const q = db("dataset_events as e").join("datasets as d", "d.id", "e.dataset_id").where("d.uri", uri);
  if (partition !== null) q.andWhere("e.partition", partition);
  return (await q.first("e.id")) !== undefined;
}
