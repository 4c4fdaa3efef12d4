import { loadConfig } from "../config/config";
import { loadDagFolder } from "../dags/dagFolder";
import { DagRegistry } from "../dags/dagRegistry";
import { intervalsInRange, parseDateInZone } from "../schedule/index";
import { triggerRun } from "../scheduler/triggerRun";
import { setDagPaused } from "../store/dags";
import { withDb } from "./cliDb";
import { CliError } from "./cliError";

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

