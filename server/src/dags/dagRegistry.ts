import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Db } from "../store/db";
import { dagIdOwners, syncDagSnapshot } from "../store/dags";
import { assertDagFolder, loadDagFolder, type DagFolderSnapshot, type DagImportError, type LoadedDag } from "./dagFolder";
import type { LoadDagFileOptions } from "./loadDagFile";

/** Options of `DagRegistry`. */
export interface DagRegistryOptions {
  /** The DAG folder (RUNNEL_DAGS_FOLDER). */
  folder: string;
  /** When given, every reload is written to the database (`syncDagSnapshot`). */
  db?: Db;
  /**
   * Without `db`: where to read who owns each DAG id (`dags.fileloc`), so a process that reads the
   * DAGs without recording them (a worker) resolves a reused id as the recording ones do.
   */
  ownersDb?: Db;
  /** Called with a failed background refresh (see `watch`); default: ignore. */
  onError?: (err: unknown) => void;
  /** Passed to each file load (timeout, schedule compiler). */
  load?: Omit<LoadDagFileOptions, "fileloc">;
}

/** Files whose change means the DAGs must be reloaded: code and JSON a DAG file may import. */
const WATCHED_FILE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx|json)$/;

/** path:size:mtime of every watched file under `root`, recursively (skipping node_modules and dot folders). */
async function fingerprint(root: string): Promise<string> {
  const parts: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && !entry.name.startsWith(".")) await walk(abs, name);
      } else if (WATCHED_FILE.test(entry.name)) {
        const s = await stat(abs, { bigint: true }).catch(() => undefined);
        if (s) parts.push(`${name}\t${s.size}\t${s.mtimeNs}\t${s.ino}`);
      }
    }
  }
  await walk(root, "");
  return parts.sort().join("\n");
}

/**
 * The DAGs of one folder, as this process sees them. Each process (scheduler, worker, API) keeps
 * its own registry over the shared folder; `refresh` reloads every DAG file when any file under
 * the folder changed (a DAG file or a helper module in a subfolder) and, with a `db`, records the
 * result (`dags`, `dag_versions`, `dag_import_errors`). Refreshes never overlap.
 */
export class DagRegistry {
  private readonly folder: string;
  private readonly db: Db | undefined;
  private readonly ownersDb: Db | undefined;
  private readonly onError: (err: unknown) => void;
  private readonly loadOptions: Omit<LoadDagFileOptions, "fileloc">;
  private snapshot: DagFolderSnapshot | undefined;
  private versionIds = new Map<string, number>();
  private lastFingerprint: string | undefined;
  private syncPending = false;
  private running: Promise<{ changed: boolean }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: DagRegistryOptions) {
    this.folder = resolve(opts.folder);
    this.db = opts.db;
    this.ownersDb = opts.db ?? opts.ownersDb;
    this.onError = opts.onError ?? (() => undefined);
    this.loadOptions = opts.load ?? {};
  }

  /**
   * Reloads the DAGs when any file under the folder was added, removed or changed since the last
   * refresh, then syncs to the database (retrying a sync that failed last time even without a
   * change). Calls are serialized. Rejects when the folder is missing or the sync fails; the
   * previously loaded DAGs stay in place then.
   * @returns whether the DAGs were reloaded.
   */
  refresh(): Promise<{ changed: boolean }> {
    const next = this.queue.then(() => this.refreshNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async refreshNow(): Promise<{ changed: boolean }> {
    await assertDagFolder(this.folder);
    const print = await fingerprint(this.folder);
    const changed = print !== this.lastFingerprint || this.snapshot === undefined;
    if (changed) {
      this.snapshot = await loadDagFolder(this.folder, this.loadOptions, await this.idOwners());
      this.lastFingerprint = print;
      this.syncPending = this.db !== undefined;
    }
    if (this.syncPending && this.db && this.snapshot) {
      this.versionIds = await syncDagSnapshot(this.db, this.snapshot);
      this.syncPending = false;
    }
    return { changed };
  }

  /**
   * Who owns each DAG id before this reload: the database's record (shared by every process and
   * kept across restarts) when there is one, else this registry's last load.
   */
  private async idOwners(): Promise<Map<string, string>> {
    const remembered = (): Map<string, string> => new Map([...(this.snapshot?.dags.values() ?? [])].map((d) => [d.dag.id, d.fileloc]));
    if (this.db) return dagIdOwners(this.db);
    // A reader (worker) must not fail to load its DAGs because Postgres is not there yet or not
    // migrated: it then falls back to what it loaded last.
    if (this.ownersDb) return dagIdOwners(this.ownersDb).catch(remembered);
    return remembered();
  }

  /** The loaded DAG with this id, or undefined (unknown, or its file has an import error). */
  get(dagId: string): LoadedDag | undefined {
    return this.snapshot?.dags.get(dagId);
  }

  /** Every loaded DAG, by id. */
  list(): LoadedDag[] {
    return [...(this.snapshot?.dags.values() ?? [])].sort((a, b) => a.dag.id.localeCompare(b.dag.id));
  }

  /** The `dag_versions` id of the DAG as loaded now (from the last sync), or undefined. */
  versionId(dagId: string): number | undefined {
    return this.versionIds.get(dagId);
  }

  /** The files that failed to load in the last reload. */
  importErrors(): DagImportError[] {
    return [...(this.snapshot?.errors ?? [])];
  }

  /** The last scan of the folder, or undefined before the first refresh. */
  current(): DagFolderSnapshot | undefined {
    return this.snapshot;
  }

  /**
   * Polls the folder every `intervalMs` and refreshes on change. A tick is skipped while the
   * previous refresh still runs; failures go to `onError`. The timer does not keep the process alive.
   */
  watch(intervalMs = 2000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.refresh();
      this.running.catch((err: unknown) => this.onError(err)).finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops watching. Loaded DAGs stay readable. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
