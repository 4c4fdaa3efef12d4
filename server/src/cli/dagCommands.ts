import type { SerializedDag } from "../model/graph";
import { loadConfig, type RunnelConfig } from "../config/config";
import { redactUrl } from "../infra/serviceErrors";
import { loadDagFolder } from "../dags/dagFolder";
import { DagRegistry } from "../dags/dagRegistry";
import { intervalsInRange, parseDateInZone } from "../schedule/index";
import { triggerRun } from "../scheduler/triggerRun";
import { createDb, ensureDatabaseExists, migrateLatest, type Db } from "../store/db";
import { setDagPaused } from "../store/dags";

/** A CLI error: printed as one line, exit code 1. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/** Opens and migrates the configured database (creating the default `runnel` database when missing). */
export async function openMigratedDb(config: RunnelConfig, applicationName = "runnel-cli"): Promise<Db> {
  try {
    if (config.databaseUrlIsDefault) await ensureDatabaseExists(config.databaseUrl);
    const db = createDb(config.databaseUrl, { applicationName });
    await migrateLatest(db).catch(async (err: unknown) => {
      await db.destroy();
      throw err;
    });
    return db;
  } catch (err) {
    throw new CliError(`cannot use the database at ${redactUrl(config.databaseUrl)}: ${(err as Error).message} (set DATABASE_URL, or run \`pnpm start\` once to start a private one)`);
  }
}

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openMigratedDb(loadConfig());
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** `dags list`: the DAGs in the folder (and their paused flag when the database answers), then import errors. */
function scheduleText(schedule: SerializedDag["schedule"]): string {
  if (schedule === null) return "manual";
  return typeof schedule === "string" ? schedule : `datasets: ${schedule.datasets.join(", ")}`;
}

export async function listDags(json: boolean): Promise<void> {
  const config = loadConfig();
  await withDb(async (db) => {
    const registry = new DagRegistry({ folder: config.dagsFolder, db });
    await registry.refresh();
    const rows = await db("dags").select("dag_id", "is_paused").where({ is_active: true });
    const paused = new Map(rows.map((r: { dag_id: string; is_paused: boolean }) => [r.dag_id, r.is_paused]));
    const dags = registry.list().map((d) => ({ dagId: d.serialized.dagId, fileloc: d.fileloc, schedule: d.serialized.schedule, paused: paused.get(d.serialized.dagId) ?? false, tasks: d.serialized.tasks.length }));
    const importErrors = registry.importErrors();
    registry.close();
    if (json) {
      console.log(JSON.stringify({ dags, importErrors }, null, 2));
      return;
    }
    for (const d of dags) console.log(`${d.dagId.padEnd(28)} ${scheduleText(d.schedule).padEnd(14)} ${d.paused ? "paused " : "active "} ${d.tasks} tasks  ${d.fileloc}`);
    for (const e of importErrors) console.log(`IMPORT ERROR ${e.fileloc}: ${e.message}`);
  });
}

/** `dags intervals`: pure schedule math over the DAG file; needs no database. */
export async function printIntervals(dagId: string, from: string, to: string, json: boolean): Promise<void> {
  const snapshot = await loadDagFolder(loadConfig().dagsFolder);
  const loaded = snapshot.dags.get(dagId);
  if (!loaded) throw new CliError(`no DAG "${dagId}" in the DAG folder${snapshot.errors.length ? ` (import errors: ${snapshot.errors.map((e) => e.fileloc).join(", ")})` : ""}`);
  const tz = loaded.serialized.timezone;
  const intervals = intervalsInRange(loaded.schedule, parseDateInZone(from, tz), parseDateInZone(to, tz));
  const rows = intervals.map((i) => ({ logicalDate: i.start.toISOString(), start: i.start.toISOString(), end: i.end.toISOString() }));
  if (json) console.log(JSON.stringify(rows));
  else for (const r of rows) console.log(`${r.logicalDate}  [${r.start}, ${r.end})`);
}

/**
 * `dags trigger`: creates a manual run; the scheduler starts it. Without `--logical-date` it covers
 * the DAG's last complete interval (Airflow's `infer_manual_data_interval`).
 */
export async function triggerDag(dagId: string, confText: string | undefined, logicalDate: string | undefined): Promise<void> {
  let conf: Record<string, unknown> = {};
  if (confText !== undefined) {
    try {
      conf = JSON.parse(confText) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`--conf is not JSON: ${(err as Error).message}`);
    }
    if (typeof conf !== "object" || conf === null || Array.isArray(conf)) throw new CliError("--conf must be a JSON object");
  }
  const config = loadConfig();
  await withDb(async (db) => {
    const registry = new DagRegistry({ folder: config.dagsFolder, db });
    await registry.refresh();
    registry.close();
    const loaded = registry.get(dagId);
    const versionId = registry.versionId(dagId);
    if (!loaded || versionId === undefined) throw new CliError(`no DAG "${dagId}"`);
    const date = logicalDate ? parseDateInZone(logicalDate, loaded.serialized.timezone) : undefined;
    const run = await triggerRun(db, loaded, versionId, { conf, logicalDate: date });
    // Without --logical-date the run covers the last complete interval: say which.
    console.log(
      JSON.stringify({
        dagId,
        runId: run.runId,
        dagRunId: run.dagRunId,
        logicalDate: run.logicalDate.toISOString(),
        dataIntervalStart: run.interval.start.toISOString(),
        dataIntervalEnd: run.interval.end.toISOString(),
        inferred: run.inferred,
      }),
    );
  });
}

/** `dags pause` / `dags unpause`. */
export async function pauseDag(dagId: string, paused: boolean): Promise<void> {
  const config = loadConfig();
  await withDb(async (db) => {
    const registry = new DagRegistry({ folder: config.dagsFolder, db });
    await registry.refresh();
    registry.close();
    if (!(await setDagPaused(db, dagId, paused))) throw new CliError(`no DAG "${dagId}"`);
    console.log(`${dagId}: ${paused ? "paused" : "unpaused"}`);
  });
}

export { withDb };
