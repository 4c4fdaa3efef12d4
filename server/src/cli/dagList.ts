import pg from "pg";
import { loadConfig } from "../config/config";
import { DagRegistry } from "../dags/dagRegistry";
import { DagFileProbe, type ProbeResult } from "../dags/probeDagFile";
import { redactUrl } from "../infra/serviceErrors";
import type { SerializedDag } from "../model/graph";
import { createDb, type Db } from "../store/db";

/** What `dags list` prints. */
export interface DagListing {
  dags: Array<{ dagId: string; fileloc: string; schedule: SerializedDag["schedule"]; paused: boolean | null; tasks: number }>;
  importErrors: Array<{ fileloc: string; message: string }>;
  /** Why the paused flags are unknown (`paused: null`), when the database did not answer. */
  pausedUnknown?: string;
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
 * Loads each file once, with no probe thread first. Only for a pass that runs in a thread of its
 * own, which its owner terminates when the pass does not end (dagListWorker.mjs).
 */
export class UnprobedLoad extends DagFileProbe {
  override probe(): Promise<ProbeResult> {
    return Promise.resolve({ kind: "settled" });
  }
}

/**
 * The DAGs in the folder, loaded as a worker loads them (reading who owns each DAG id from the
 * database, recording nothing: the scheduler records), with their paused flag when the database
 * answers, and the import errors. Needs neither migrations nor Redis.
 * @param probe what each file is loaded through first; default: a probe thread (a file that never
 *   finishes loading is an import error).
 */
export async function collectDagList(probe?: DagFileProbe): Promise<DagListing> {
  const config = loadConfig();
  const answers = await databaseAnswers(config.databaseUrl);
  const db = answers === true ? createDb(config.databaseUrl, { applicationName: "runnel-cli", poolMax: 1 }) : undefined;
  try {
    const registry = new DagRegistry({ folder: config.dagsFolder, ownersDb: db, load: probe ? { probe } : undefined });
    await registry.refresh();
    registry.close();
    const paused = db ? await pausedFlags(db) : (answers as Error);
    return {
      dags: registry.list().map((d) => ({
        dagId: d.serialized.dagId,
        fileloc: d.fileloc,
        schedule: d.serialized.schedule,
        paused: paused instanceof Error ? null : (paused.get(d.serialized.dagId) ?? false),
        tasks: d.serialized.tasks.length,
      })),
      importErrors: registry.importErrors(),
      ...(paused instanceof Error ? { pausedUnknown: `cannot read the database at ${redactUrl(config.databaseUrl)}: ${paused.message}` } : {}),
    };
  } finally {
    await db?.destroy();
  }
}
