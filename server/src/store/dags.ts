import type { Knex } from "knex";
import type { SerializedDag } from "../model/graph";
import type { Db } from "./db";
import { scheduleKeyOf } from "./dueRuns";

/** What `syncDagSnapshot` needs of one loaded DAG (a `LoadedDag` satisfies it). */
export interface DagToSync {
  fileloc: string;
  source: string;
  serialized: SerializedDag;
  versionHash: string;
}

/** What `syncDagSnapshot` needs of a folder scan (a `DagFolderSnapshot` satisfies it). */
export interface DagSnapshotToSync {
  dags: ReadonlyMap<string, DagToSync>;
  errors: readonly { fileloc: string; message: string }[];
}

/** One `dags` row. */
export interface DagRow {
  dagId: string;
  fileloc: string;
  isPaused: boolean;
  /** False once no DAG file defines this id any more. */
  isActive: boolean;
  latestVersionId: number | null;
  /** Cron or preset; null for manual-only and dataset-scheduled DAGs. */
  schedule: string | null;
  /** The datasets of a data-aware schedule (`schedule: { datasets }`), else null. */
  scheduleDatasets: string[] | null;
  timezone: string;
  description: string | null;
  tags: string[];
  lastParsedAt: Date;
  createdAt: Date;
}

/** One `dag_import_errors` row. */
export interface ImportErrorRow {
  fileloc: string;
  message: string;
  /** When this message first appeared for the file. */
  createdAt: Date;
}

/** One `dag_versions` row. */
export interface DagVersionRow {
  id: number;
  dagId: string;
  versionHash: string;
  graph: SerializedDag;
  source: string;
  fileloc: string;
  createdAt: Date;
}

interface RawDagRow {
  dag_id: string;
  fileloc: string;
  is_paused: boolean;
  is_active: boolean;
  latest_version_id: number | null;
  schedule: string | null;
  schedule_datasets: string[] | null;
  timezone: string;
  description: string | null;
  tags: string[];
  last_parsed_at: Date;
  created_at: Date;
}

interface RawVersionRow {
  id: number;
  dag_id: string;
  version_hash: string;
  graph: SerializedDag;
  source: string;
  fileloc: string;
  created_at: Date;
}

/** Serializes every DAG sync across processes, so concurrent syncs cannot deadlock on row order. */
const SYNC_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('runnel:dags:sync'))";

const dagIdsOf = (dags: readonly DagToSync[]): string[] => dags.map((d) => d.serialized.dagId);

const jsonOrNull = (v: unknown): string | null => (v === null ? null : JSON.stringify(v));

/** The datasets a serialized DAG is scheduled on, or null when its schedule is a cron, a preset or manual. */
export function scheduleDatasetsOf(dag: Pick<SerializedDag, "schedule">): string[] | null {
  const s = dag.schedule;
  return typeof s === "object" && s !== null ? s.datasets : null;
}

function toDagRow(r: RawDagRow): DagRow {
  return {
    dagId: r.dag_id,
    fileloc: r.fileloc,
    isPaused: r.is_paused,
    isActive: r.is_active,
    latestVersionId: r.latest_version_id,
    schedule: r.schedule,
    scheduleDatasets: r.schedule_datasets,
    timezone: r.timezone,
    description: r.description,
    tags: r.tags,
    lastParsedAt: r.last_parsed_at,
    createdAt: r.created_at,
  };
}

async function upsertDags(trx: Knex.Transaction, dags: readonly DagToSync[]): Promise<void> {
  if (dags.length === 0) return;
  const rows = dags.map((d) => ({
    dag_id: d.serialized.dagId,
    fileloc: d.fileloc,
    schedule: typeof d.serialized.schedule === "string" ? d.serialized.schedule : null,
    schedule_datasets: jsonOrNull(scheduleDatasetsOf(d.serialized)),
    timezone: d.serialized.timezone,
    description: d.serialized.description,
    tags: JSON.stringify(d.serialized.tags),
    last_parsed_at: trx.fn.now(),
    is_active: true,
    max_active_runs: d.serialized.maxActiveRuns,
    schedule_key: scheduleKeyOf(d.serialized),
    // A new time-scheduled DAG is due now: the leader's next tick stores its real next-run time.
    next_dagrun_create_after: scheduleKeyOf(d.serialized) === null ? null : "-infinity",
  }));
  const excluded = (c: string): Knex.Raw => trx.raw("??", [`excluded.${c}`]);
  const kept = ["fileloc", "schedule", "schedule_datasets", "timezone", "description", "tags", "last_parsed_at", "is_active", "max_active_runs", "schedule_key"];
  // is_paused is left alone: pausing is a person's decision, not the file's. The stored next-run
  // time stays unless the schedule changed: then the DAG is due now, to be computed afresh.
  for (const chunk of chunks(rows)) {
    await trx("dags")
      .insert(chunk)
      .onConflict("dag_id")
      .merge({
        ...Object.fromEntries(kept.map((c) => [c, excluded(c)])),
        next_dagrun_create_after: trx.raw(
          "CASE WHEN dags.schedule_key IS NOT DISTINCT FROM excluded.schedule_key THEN dags.next_dagrun_create_after ELSE excluded.next_dagrun_create_after END",
        ),
      });
  }
}

/** Rows per multi-row statement: PostgreSQL takes at most 65,535 bind parameters (10,000 DAGs x 11 columns did not fit). */
const ROWS_PER_STATEMENT = 1000;

function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/** Inserts the versions not stored yet and returns dagId -> version id for all of them. */
async function ensureVersions(trx: Knex.Transaction, dags: readonly DagToSync[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  if (dags.length === 0) return ids;
  for (const chunk of chunks(dags)) {
    await trx("dag_versions")
      .insert(
        chunk.map((d) => ({
          dag_id: d.serialized.dagId,
          version_hash: d.versionHash,
          graph: JSON.stringify(d.serialized),
          source: d.source,
          fileloc: d.fileloc,
        })),
      )
      .onConflict(["dag_id", "version_hash"])
      .ignore();
    const found = await trx<{ id: number; dag_id: string }>("dag_versions")
      .select("id", "dag_id")
      .whereIn(
        ["dag_id", "version_hash"],
        chunk.map((d) => [d.serialized.dagId, d.versionHash]),
      );
    for (const row of found) ids.set(row.dag_id, row.id);
  }
  return ids;
}

async function setLatestVersions(trx: Knex.Transaction, ids: Map<string, number>): Promise<void> {
  if (ids.size === 0) return;
  const pairs = JSON.stringify([...ids].map(([dag_id, id]) => ({ dag_id, id })));
  await trx.raw(
    `UPDATE dags d SET latest_version_id = v.id
       FROM jsonb_to_recordset(?::jsonb) AS v(dag_id text, id bigint)
      WHERE d.dag_id = v.dag_id AND d.latest_version_id IS DISTINCT FROM v.id`,
    [pairs],
  );
}

async function syncImportErrors(trx: Knex.Transaction, errors: DagSnapshotToSync["errors"]): Promise<void> {
  const filelocs = errors.map((e) => e.fileloc);
  await trx("dag_import_errors").whereNotIn("fileloc", filelocs).delete();
  if (errors.length === 0) return;
  await trx.raw(
    `INSERT INTO dag_import_errors AS e (fileloc, message)
       SELECT fileloc, message FROM jsonb_to_recordset(?::jsonb) AS x(fileloc text, message text)
     ON CONFLICT (fileloc) DO UPDATE
       SET message = excluded.message,
           created_at = CASE WHEN e.message IS DISTINCT FROM excluded.message THEN now() ELSE e.created_at END`,
    [JSON.stringify(errors.map(({ fileloc, message }) => ({ fileloc, message })))],
  );
}

/**
 * Writes one scan of the DAG folder to the database in one transaction: upserts a `dags` row per
 * DAG (never touching `is_paused`), stores each graph not seen before as a `dag_versions` row and
 * points `latest_version_id` at it, marks DAGs no file defines any more inactive, and makes
 * `dag_import_errors` hold exactly the failing files (a row's `created_at` moves only when its
 * message changes). Safe to run from several processes at once: syncs are serialized by an
 * advisory lock and an identical graph never gets a second version.
 * @param only when given, just these DAG ids are upserted and versioned (the ones a reload
 *   changed); the others are still kept active and the import errors are still written in full.
 * @returns DAG id -> the id of the version that DAG's file holds now (for the DAGs upserted).
 */
export async function syncDagSnapshot(db: Db, snapshot: DagSnapshotToSync, only?: ReadonlySet<string>): Promise<Map<string, number>> {
  const all = [...snapshot.dags.values()];
  const dags = (only ? all.filter((d) => only.has(d.serialized.dagId)) : all).sort((a, b) => a.serialized.dagId.localeCompare(b.serialized.dagId));
  return db.transaction(async (trx) => {
    await trx.raw(SYNC_LOCK_SQL);
    await upsertDags(trx, dags);
    const ids = await ensureVersions(trx, dags);
    await setLatestVersions(trx, ids);
    // Active exactly when this scan defines it (also heals a row another process marked inactive).
    await trx.raw("UPDATE dags SET is_active = (dag_id = ANY(?::text[])) WHERE is_active IS DISTINCT FROM (dag_id = ANY(?::text[]))", [dagIdsOf(all), dagIdsOf(all)]);
    await syncImportErrors(trx, snapshot.errors);
    return ids;
  });
}

/**
 * DAG id -> the file that last defined it (`dags.fileloc`, active or not): who owns each id when
 * the folder is reloaded, so a new file reusing an id cannot take it over (see loadDagFolder).
 */
export async function dagIdOwners(db: Db): Promise<Map<string, string>> {
  const rows: Array<{ dag_id: string; fileloc: string }> = await db("dags").select("dag_id", "fileloc");
  return new Map(rows.map((r) => [r.dag_id, r.fileloc]));
}

/** Ids of the DAGs the scheduler may create runs for: active and not paused. */
export async function runnableDagIds(db: Db): Promise<Set<string>> {
  const rows: Array<{ dag_id: string }> = await db("dags").select("dag_id").where({ is_paused: false, is_active: true });
  return new Set(rows.map((r) => r.dag_id));
}

/** Pauses or unpauses a DAG. @returns false when there is no such DAG. */
export async function setDagPaused(db: Db, dagId: string, paused: boolean): Promise<boolean> {
  const n = await db("dags").where("dag_id", dagId).update({ is_paused: paused });
  return n > 0;
}

/** The `dags` row of one DAG, or undefined. */
export async function getDagRow(db: Db, dagId: string): Promise<DagRow | undefined> {
  const row = await db<RawDagRow>("dags").where("dag_id", dagId).first();
  return row ? toDagRow(row) : undefined;
}

/** Every `dags` row (active or not), by DAG id. */
export async function listDagRows(db: Db): Promise<DagRow[]> {
  const rows = await db<RawDagRow>("dags").select("*").orderBy("dag_id");
  return rows.map(toDagRow);
}

/** The current import errors, by file. */
export async function listImportErrors(db: Db): Promise<ImportErrorRow[]> {
  const rows = await db<{ fileloc: string; message: string; created_at: Date }>("dag_import_errors")
    .select("fileloc", "message", "created_at")
    .orderBy("fileloc");
  return rows.map((r) => ({ fileloc: r.fileloc, message: r.message, createdAt: r.created_at }));
}

/** One stored DAG version (graph and source), or undefined. */
export async function getDagVersion(db: Db, versionId: number): Promise<DagVersionRow | undefined> {
  const r = await db<RawVersionRow>("dag_versions").where("id", versionId).first();
  if (!r) return undefined;
  return { id: r.id, dagId: r.dag_id, versionHash: r.version_hash, graph: r.graph, source: r.source, fileloc: r.fileloc, createdAt: r.created_at };
}

/** Every version of a DAG, newest first, without graph or source. */
export async function listDagVersions(db: Db, dagId: string): Promise<Omit<DagVersionRow, "graph" | "source">[]> {
  const rows = await db<RawVersionRow>("dag_versions")
    .select("id", "dag_id", "version_hash", "fileloc", "created_at")
    .where("dag_id", dagId)
    .orderBy("id", "desc");
  return rows.map((r) => ({ id: r.id, dagId: r.dag_id, versionHash: r.version_hash, fileloc: r.fileloc, createdAt: r.created_at }));
}

/** The version hash of one `dag_versions` row (rows never change), or undefined. */
export async function dagVersionHash(db: Db, versionId: number): Promise<string | undefined> {
  const row = await db("dag_versions").select("version_hash").where({ id: versionId }).first<{ version_hash: string } | undefined>();
  return row?.version_hash;
}

/**
 * Whether the DAG as the schedulers last recorded it (active, its latest version) has this task:
 * what a worker that cannot find the task must still expect to load.
 */
export async function recordedDagHasTask(db: Db, dagId: string, taskId: string): Promise<boolean> {
  const r = await db.raw<{ rows: unknown[] }>(
    `SELECT 1 FROM dags d JOIN dag_versions v ON v.id = d.latest_version_id
      WHERE d.dag_id = ? AND d.is_active AND v.graph->'tasks' @> jsonb_build_array(jsonb_build_object('id', ?::text))`,
    [dagId, taskId],
  );
  return r.rows.length > 0;
}
