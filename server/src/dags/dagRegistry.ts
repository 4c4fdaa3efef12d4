import { readdir, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import type { Db } from "../store/db";
import { dagIdOwners, syncDagSnapshot } from "../store/dags";
import { assembleSnapshot, assertDagFolder, listDagFiles, loadDagFiles, type DagFolderSnapshot, type DagImportError, type LoadedDag } from "./dagFolder";
import type { DagFileResult, LoadDagFileOptions } from "./loadDagFile";
import { DagFileProbe } from "./probeDagFile";
import { localImports, scanModule, type LocalImports, type ModuleScan } from "./localImports";

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

/** Files whose change may change a DAG: code and JSON a DAG file may import. */
const WATCHED_FILE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx|json)$/;

/** path (relative, `/`-separated) -> size:mtime:inode of every watched file under `root`, recursively (skipping node_modules and dot folders). */
async function fileStamps(root: string): Promise<Map<string, string>> {
  const stamps = new Map<string, string>();
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && !entry.name.startsWith(".")) await walk(abs, name);
      } else if (WATCHED_FILE.test(entry.name)) {
        const s = await stat(abs, { bigint: true }).catch(() => undefined);
        if (s) stamps.set(name, `${s.size}\t${s.mtimeNs}\t${s.ino}`);
      }
    }
  }
  await walk(root, "");
  return stamps;
}

/** What the registry keeps of one DAG file: its stamp when loaded, the load's result and the folder modules it imports. */
interface LoadedFile {
  stamp: string | undefined;
  result: DagFileResult;
  imports: LocalImports;
}

/** What one refresh did. */
export interface RefreshResult {
  /** Whether the DAGs changed: some file was loaded again, added or removed. */
  changed: boolean;
}

/**
 * The DAGs of one folder, as this process sees them. Each process (scheduler, worker, API) keeps
 * its own registry over the shared folder; `refresh` loads again only the DAG files that changed
 * and the ones that import a changed module of the folder (a helper in a subfolder, another file),
 * drops the DAGs of deleted files and, with a `db`, records the result (`dags`, `dag_versions`,
 * `dag_import_errors`). Refreshes never overlap.
 */
export class DagRegistry {
  private readonly folder: string;
  private readonly db: Db | undefined;
  private readonly ownersDb: Db | undefined;
  private readonly onError: (err: unknown) => void;
  private readonly loadOptions: Omit<LoadDagFileOptions, "fileloc">;
  private snapshot: DagFolderSnapshot | undefined;
  private sorted: LoadedDag[] | undefined;
  private versionIds = new Map<string, number>();
  /** Every watched file's stamp as of the last refresh. */
  private stamps = new Map<string, string>();
  /** DAG file -> what its last load gave. */
  private files = new Map<string, LoadedFile>();
  /** Module path -> its import specifiers, by the stamp they were read at. */
  private scans = new Map<string, { stamp: string | undefined; scan: ModuleScan }>();
  private reloaded: string[] = [];
  private probe: DagFileProbe | undefined;
  private syncPending = false;
  /** The DAG ids the next sync must upsert ("all": every one). */
  private unsynced: Set<string> | "all" = "all";
  private running: Promise<RefreshResult> | undefined;
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
   * Loads again the DAG files added or changed since the last refresh, and the ones importing a
   * folder module (helper, JSON, another file) added, removed or changed since; drops the DAGs of
   * removed files; then syncs to the database (retrying a sync that failed last time even without
   * a change). A file that fails to load is an import error and the other files keep their DAGs.
   * What a file imports is read from its source (`localImports`): one whose imports cannot all be
   * told (a computed import(), a relative import of a missing file) is loaded again whenever any
   * file changes. Calls are serialized. Rejects when the folder is missing or the sync fails; the
   * previously loaded DAGs stay in place then.
   */
  refresh(): Promise<RefreshResult> {
    const next = this.queue.then(() => this.refreshNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async refreshNow(): Promise<RefreshResult> {
    await assertDagFolder(this.folder);
    const [stamps, dagFiles] = await Promise.all([fileStamps(this.folder), listDagFiles(this.folder)]);
    const touched = new Set<string>();
    for (const path of new Set([...stamps.keys(), ...this.stamps.keys()])) if (stamps.get(path) !== this.stamps.get(path)) touched.add(path);
    const first = this.snapshot === undefined;
    const reload = dagFiles.filter((f) => first || this.mustReload(f, stamps.get(f), touched));
    const present = new Set(dagFiles);
    const removed = [...this.files.keys()].filter((f) => !present.has(f));
    const changed = first || reload.length > 0 || removed.length > 0;
    if (changed) {
      // One probe thread for the registry's life (unref'd): starting one costs seconds, a file ms.
      this.probe ??= this.loadOptions.probe ?? new DagFileProbe({ unref: true });
      const results = await loadDagFiles(this.folder, reload, { ...this.loadOptions, probe: this.probe });
      const files = new Map(this.files);
      for (const f of removed) files.delete(f);
      for (const [f, result] of results) {
        const imports = await localImports(this.folder, join(this.folder, f), (path) => this.scan(path, stamps));
        files.set(f, { stamp: stamps.get(f), result, imports });
      }
      const owners = await this.idOwners();
      const all = new Map([...files].map(([f, e]) => [f, e.result]));
      const previous = this.snapshot?.dags;
      this.snapshot = assembleSnapshot(this.folder, dagFiles, all, owners);
      this.sorted = undefined;
      this.files = files;
      // The DAGs to upsert: every one at first, else those whose loaded object changed (a file
      // loaded again, an id handed to another file); added to what a failed sync left.
      if (this.db) {
        if (previous === undefined) this.unsynced = "all";
        else if (this.unsynced !== "all") for (const [id, dag] of this.snapshot.dags) if (previous.get(id) !== dag) this.unsynced.add(id);
        this.syncPending = true;
      }
    }
    this.stamps = stamps;
    if (this.syncPending && this.db && this.snapshot) {
      const ids = await syncDagSnapshot(this.db, this.snapshot, this.unsynced === "all" ? undefined : this.unsynced);
      const versionIds = this.unsynced === "all" ? ids : new Map([...this.versionIds, ...ids]);
      for (const id of versionIds.keys()) if (!this.snapshot.dags.has(id)) versionIds.delete(id);
      this.versionIds = versionIds;
      this.unsynced = new Set();
      this.syncPending = false;
    }
    this.reloaded = reload;
    return { changed };
  }

  /** Whether a DAG file must be loaded again, given the files touched since the last refresh. */
  private mustReload(file: string, stamp: string | undefined, touched: ReadonlySet<string>): boolean {
    const known = this.files.get(file);
    if (!known || known.stamp !== stamp) return true;
    if (touched.size === 0) return false;
    if (!known.imports.known) return true;
    for (const m of known.imports.files) if (touched.has(m)) return true;
    return false;
  }

  /** A module's import specifiers, read again only when its stamp changed. */
  private async scan(path: string, stamps: ReadonlyMap<string, string>): Promise<ModuleScan> {
    const stamp = stamps.get(relative(this.folder, path).split(sep).join("/"));
    const cached = this.scans.get(path);
    if (cached && stamp !== undefined && cached.stamp === stamp) return cached.scan;
    const scan = await scanModule(path);
    this.scans.set(path, { stamp, scan });
    return scan;
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

  /** The DAG files the last refresh imported again (relative to the folder, sorted). */
  lastReloaded(): string[] {
    return [...this.reloaded];
  }

  /** The loaded DAG with this id, or undefined (unknown, or its file has an import error). */
  get(dagId: string): LoadedDag | undefined {
    return this.snapshot?.dags.get(dagId);
  }

  /** Every loaded DAG, by id. */
  list(): LoadedDag[] {
    this.sorted ??= [...(this.snapshot?.dags.values() ?? [])].sort((a, b) => (a.dag.id < b.dag.id ? -1 : a.dag.id > b.dag.id ? 1 : 0));
    return this.sorted.slice();
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

  /** Stops watching and the probe thread. Loaded DAGs stay readable. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.probe !== this.loadOptions.probe) void this.probe?.close();
    this.probe = undefined;
  }
}
