import type { Knex } from "knex";
import type { TaskState } from "../model/states";
import type { Db } from "./db";

/**
 * Low-level reads of partition lineage shared by the lineage queries: writes (dataset events)
 * with the task instance that made them, reads, and task instances. Partition lineage follows
 * events with a partition only: every Runnel write has one (it defaults to the run's partition).
 */

/** A dataset partition: `datasetId` for joins, `uri` for people. Its id in the API is `<uri>|<partition>`. */
export interface PartitionKey {
  datasetId: number;
  uri: string;
  partition: string;
}

export const partitionId = (k: { uri: string; partition: string | null }): string => `${k.uri}|${k.partition ?? ""}`;

/** Who wrote (the task instance and try), when it still exists. */
export interface StoredWriter {
  dagId: string;
  taskId: string;
  taskInstanceId: number | null;
  tryNumber: number | null;
  dagRunId: number | null;
  runId: string | null;
}

/** One dataset event with its writer. */
export interface StoredWrite extends PartitionKey {
  eventId: number;
  rowCount: number | null;
  checksum: string | null;
  writtenAt: Date;
  /** null when the event has no task instance (deleted, or written outside a task). */
  writer: StoredWriter | null;
}

interface WriteRow {
  id: number;
  dataset_id: number;
  uri: string;
  partition: string;
  row_count: number | string | null;
  checksum: string | null;
  created_at: Date;
  task_instance_id: number | null;
  try_number: number | null;
  dag_run_id: number | null;
  dag_id: string | null;
  task_id: string | null;
  run_id: string | null;
}

/** Columns of a write with its writer; `e` = dataset_events, joined to datasets, task instance and run. */
export const WRITE_COLUMNS = `e.id, e.dataset_id, d.uri, e.partition, e.row_count, e.checksum, e.created_at, e.task_instance_id, e.try_number, e.dag_run_id,
  t.dag_id, t.task_id, r.run_id`;
export const WRITE_JOINS = `JOIN datasets d ON d.id = e.dataset_id
  LEFT JOIN task_instances t ON t.id = e.task_instance_id
  LEFT JOIN dag_runs r ON r.id = e.dag_run_id`;

export function toStoredWrite(r: WriteRow): StoredWrite {
  const writer: StoredWriter | null =
    r.dag_id === null || r.task_id === null
      ? null
      : { dagId: r.dag_id, taskId: r.task_id, taskInstanceId: r.task_instance_id, tryNumber: r.try_number, dagRunId: r.dag_run_id, runId: r.run_id };
  return {
    eventId: r.id,
    datasetId: r.dataset_id,
    uri: r.uri,
    partition: r.partition,
    rowCount: r.row_count === null ? null : Number(r.row_count),
    checksum: r.checksum,
    writtenAt: r.created_at,
    writer,
  };
}

async function writes(db: Db, sql: string, bindings: readonly Knex.RawBinding[]): Promise<StoredWrite[]> {
  const result = await db.raw<{ rows: WriteRow[] }>(sql, bindings);
  return result.rows.map(toStoredWrite);
}

const keyArrays = (keys: readonly PartitionKey[]): [number[], string[]] => [keys.map((k) => k.datasetId), keys.map((k) => k.partition)];

/** The dataset and partition of a URI, if the dataset is known; the partition need not exist. */
export async function findDatasetId(db: Db, uri: string): Promise<number | undefined> {
  const row = await db("datasets").where({ uri }).first<{ id: number } | undefined>("id");
  return row?.id;
}

/** The latest write of each key (keys never written are absent). */
export async function latestWrites(db: Db, keys: readonly PartitionKey[]): Promise<Map<string, StoredWrite>> {
  if (keys.length === 0) return new Map();
  const rows = await writes(
    db,
    `SELECT w.* FROM unnest(?::bigint[], ?::text[]) AS k(dataset_id, partition)
     CROSS JOIN LATERAL (
       SELECT ${WRITE_COLUMNS} FROM dataset_events e ${WRITE_JOINS}
        WHERE e.dataset_id = k.dataset_id AND e.partition = k.partition ORDER BY e.id DESC LIMIT 1
     ) w`,
    keyArrays(keys),
  );
  return new Map(rows.map((w) => [partitionId(w), w]));
}

/** Every write of one partition, newest first. */
export async function writesOfPartition(db: Db, datasetId: number, partition: string, limit: number): Promise<StoredWrite[]> {
  return writes(db, `SELECT ${WRITE_COLUMNS} FROM dataset_events e ${WRITE_JOINS} WHERE e.dataset_id = ? AND e.partition = ? ORDER BY e.id DESC LIMIT ?`, [datasetId, partition, limit]);
}

/** The latest write of each partition by each of `taskInstanceIds` (any try). */
export async function writesOfTaskInstances(db: Db, taskInstanceIds: readonly number[]): Promise<StoredWrite[]> {
  if (taskInstanceIds.length === 0) return [];
  return writes(
    db,
    `SELECT DISTINCT ON (e.task_instance_id, e.dataset_id, e.partition) ${WRITE_COLUMNS}
       FROM dataset_events e ${WRITE_JOINS}
      WHERE e.task_instance_id = ANY(?::bigint[]) AND e.partition IS NOT NULL
      ORDER BY e.task_instance_id, e.dataset_id, e.partition, e.id DESC`,
    [[...taskInstanceIds]],
  );
}

/** A read of a partition by a try. */
export interface TryRead extends PartitionKey {
  taskInstanceId: number;
  tryNumber: number;
}

interface ReadRow {
  dataset_id: number;
  uri: string;
  partition: string;
  task_instance_id: number;
  try_number: number;
}

const toTryRead = (r: ReadRow): TryRead => ({ datasetId: r.dataset_id, uri: r.uri, partition: r.partition, taskInstanceId: r.task_instance_id, tryNumber: r.try_number });

/** The reads of the given tries (a write's inputs are the reads of its try). */
export async function readsOfTries(db: Db, tries: ReadonlyArray<{ taskInstanceId: number; tryNumber: number }>): Promise<TryRead[]> {
  if (tries.length === 0) return [];
  const result = await db.raw<{ rows: ReadRow[] }>(
    `SELECT r.dataset_id, d.uri, r.partition, r.task_instance_id, r.try_number
       FROM unnest(?::bigint[], ?::int[]) AS k(task_instance_id, try_number)
       JOIN dataset_reads r ON r.task_instance_id = k.task_instance_id AND r.try_number = k.try_number
       JOIN datasets d ON d.id = r.dataset_id
      ORDER BY r.id`,
    [tries.map((t) => t.taskInstanceId), tries.map((t) => t.tryNumber)],
  );
  return result.rows.map(toTryRead);
}

/** Every read of the given partitions, by any try of any run. */
export async function readersOfPartitions(db: Db, keys: readonly PartitionKey[]): Promise<TryRead[]> {
  if (keys.length === 0) return [];
  const result = await db.raw<{ rows: ReadRow[] }>(
    `SELECT r.dataset_id, d.uri, r.partition, r.task_instance_id, r.try_number
       FROM unnest(?::bigint[], ?::text[]) AS k(dataset_id, partition)
       JOIN dataset_reads r ON r.dataset_id = k.dataset_id AND r.partition = k.partition
       JOIN datasets d ON d.id = r.dataset_id
      ORDER BY r.id`,
    keyArrays(keys),
  );
  return result.rows.map(toTryRead);
}

/** Whether a partition was ever read. */
export async function partitionWasRead(db: Db, datasetId: number, partition: string): Promise<boolean> {
  return (await db("dataset_reads").where({ dataset_id: datasetId, partition }).first("id")) !== undefined;
}

/** A task instance as lineage shows it, with its in-run upstream ids (for downstream selection). */
export interface LineageTaskInstance {
  id: number;
  dagId: string;
  taskId: string;
  dagRunId: number;
  runId: string;
  state: TaskState;
  tryNumber: number;
  upstreamTaskIds: string[];
}

interface TiRow {
  id: number;
  dag_id: string;
  task_id: string;
  dag_run_id: number;
  run_id: string;
  state: TaskState;
  try_number: number;
  upstream_task_ids: string[];
}

/** Every task instance of the given runs. */
export async function taskInstancesOfRuns(db: Db, dagRunIds: readonly number[]): Promise<LineageTaskInstance[]> {
  if (dagRunIds.length === 0) return [];
  const result = await db.raw<{ rows: TiRow[] }>(
    `SELECT t.id, t.dag_id, t.task_id, t.dag_run_id, r.run_id, t.state, t.try_number, t.upstream_task_ids
       FROM task_instances t JOIN dag_runs r ON r.id = t.dag_run_id
      WHERE t.dag_run_id = ANY(?::bigint[]) ORDER BY t.id`,
    [[...dagRunIds]],
  );
  return result.rows.map((r) => ({
    id: r.id,
    dagId: r.dag_id,
    taskId: r.task_id,
    dagRunId: r.dag_run_id,
    runId: r.run_id,
    state: r.state,
    tryNumber: r.try_number,
    upstreamTaskIds: r.upstream_task_ids,
  }));
}

/** The run of each task instance. */
export async function runsOfTaskInstances(db: Db, taskInstanceIds: readonly number[]): Promise<Map<number, number>> {
  if (taskInstanceIds.length === 0) return new Map();
  const rows = await db("task_instances").whereIn("id", [...taskInstanceIds]).select<Array<{ id: number; dag_run_id: number }>>("id", "dag_run_id");
  return new Map(rows.map((r) => [r.id, r.dag_run_id]));
}
