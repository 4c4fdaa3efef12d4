import pg from "pg";
import type { SerializedDag } from "../model/graph";
import { loadConfig } from "../config/config";
import { redactUrl } from "../infra/serviceErrors";
import { loadDagFolder } from "../dags/dagFolder";
import { DagRegistry } from "../dags/dagRegistry";
import { intervalsInRange, parseDateInZone } from "../schedule/index";
import { triggerRun } from "../scheduler/triggerRun";
import { createDb, type Db } from "../store/db";
import { setDagPaused } from "../store/dags";
import { withDb } from "./cliDb";
import { CliError } from "./cliError";

function scheduleText(schedule: SerializedDag["schedule"]): string {
  if (schedule === null) return "manual";
  return typeof schedule === "string" ? schedule : `datasets: ${schedule.datasets.join(", ")}`;
}

/** Whether the database answers, within 2 s; the error saying why not otherwise. */
async function databaseAnswers(url: string): Promise<true | Error> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return true;
  } catch (err) {
    return err as Error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The paused flag of each DAG the database knows, or the error saying why it could not be read. */
async function pausedFlags(db: Db): Promise<Map<string, boolean> | Error> {
  try {
    const rows: Array<{ dag_id: string; is_paused: boolean }> = await db("dags").select("dag_id", "is_paused").where({ is_active: true });
    return new Map(rows.map((r) => [r.dag_id, r.is_paused]));
  } catch (err) {
    return err as Error;
  }
}

/**
 * `dags list`: the DAGs in the folder, loaded as a worker loads them (reading who owns each DAG id
 * from the database, recording nothing: the scheduler records), with their paused flag when the
 * database answers (`paused: null` when it does not), then import errors. Needs neither
 * migrations nor Redis.
 */
export async function listDags(json: boolean): Promise<void> {
  const config = loadConfig();
  const answers = await databaseAnswers(config.databaseUrl);
  const db = answers === true ? createDb(config.databaseUrl, { applicationName: "runnel-cli", poolMax: 1 }) : undefined;
  try {
    const registry = new DagRegistry({ folder: config.dagsFolder, ownersDb: db });
    await registry.refresh();
    registry.close();
    const paused = db ? await pausedFlags(db) : (answers as Error);
    if (paused instanceof Error) console.error(`runnel: paused flags unknown: cannot read the database at ${redactUrl(config.databaseUrl)}: ${paused.message}`);
    const dags = registry.list().map((d) => ({
      dagId: d.serialized.dagId,
      fileloc: d.fileloc,
      schedule: d.serialized.schedule,
      paused: paused instanceof Error ? null : (paused.get(d.serialized.dagId) ?? false),
      tasks: d.serialized.tasks.length,
    }));
    const importErrors = registry.importErrors();
    if (json) {
      console.log(JSON.stringify({ dags, importErrors }, null, 2));
      return;
    }
    const state = (p: boolean | null): string => (p === null ? "?      " : p ? "paused " : "active ");
    for (const d of dags) console.log(`${d.dagId.padEnd(28)} ${scheduleText(d.schedule).padEnd(14)} ${state(d.paused)} ${d.tasks} tasks  ${d.fileloc}`);
    for (const e of importErrors) console.log(`IMPORT ERROR ${e.fileloc}: ${e.message}`);
  } finally {
    await db?.destroy();
  }
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

