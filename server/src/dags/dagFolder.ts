import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadDagFile, type DagFileResult, type DagImportError, type LoadDagFileOptions, type LoadedDag } from "./loadDagFile";
import { withDagFileProbe } from "./probeDagFile";

export type { DagImportError, LoadedDag } from "./loadDagFile";

/** Everything one scan of the DAG folder found. */
export interface DagFolderSnapshot {
  /** Absolute path of the folder scanned. */
  folder: string;
  /** DAG id -> the loaded DAG. */
  dags: Map<string, LoadedDag>;
  /** One per file that failed, in file order. */
  errors: DagImportError[];
  /** Every DAG file considered (relative to the folder), sorted. */
  files: string[];
}

/** The DAG folder is missing or not a folder. */
export class DagFolderError extends Error {
  override readonly name = "DagFolderError";
}

const DAG_FILE = /\.(ts|mts|js|mjs)$/;

/**
 * Whether a top-level file name is a DAG file: `.ts .mts .js .mjs`, but not a declaration
 * (`.d.ts`), a test (`.test.ts`), or a name starting with `_` or `.` (private helpers, editor
 * temp files). Subfolders are never scanned: they hold shared helper code.
 */
export function isDagFileName(name: string): boolean {
  if (!DAG_FILE.test(name) || name.startsWith("_") || name.startsWith(".")) return false;
  return !/\.d\.m?ts$/.test(name) && !/\.(test|spec)\.m?[tj]s$/.test(name);
}

/** Throws DagFolderError, saying how to fix it, when `folder` is missing or not a folder. */
export async function assertDagFolder(folder: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(folder)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    throw new DagFolderError(`DAG folder ${folder} does not exist (set RUNNEL_DAGS_FOLDER, default ./dags)`);
  }
  if (!isDir) throw new DagFolderError(`DAG folder ${folder} is not a folder (set RUNNEL_DAGS_FOLDER, default ./dags)`);
}

/** The DAG files at the top level of `folder`, sorted by name. Throws DagFolderError when it is missing. */
export async function listDagFiles(folder: string): Promise<string[]> {
  const root = resolve(folder);
  await assertDagFolder(root);
  const entries = await readdir(root, { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && isDagFileName(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Loads every DAG file in `folder`, each in isolation and in name order. A file that fails
 * becomes an import error and the others still load. When two files define the same DAG id, the
 * id stays with its owner in `owners` (DAG id -> file, e.g. `dags.fileloc`) as long as that file
 * exists and still defines it or fails to load; every other file defining it is an import error
 * naming the owner. An id without an owner (new, or its owner file gone, renamed or now defining
 * another id) goes to the file that sorts first. Throws only when the folder itself is missing.
 */
export async function loadDagFolder(folder: string, options: Omit<LoadDagFileOptions, "fileloc" | "root"> = {}, owners: ReadonlyMap<string, string> = new Map()): Promise<DagFolderSnapshot> {
  const root = resolve(folder);
  const files = await listDagFiles(root);
  return assembleSnapshot(root, files, await loadDagFiles(root, files, options), owners);
}

/** Loads some DAG files of the folder `root` (absolute), each in isolation, in the order given, through one probe thread. */
export async function loadDagFiles(root: string, files: readonly string[], options: Omit<LoadDagFileOptions, "fileloc" | "root"> = {}): Promise<Map<string, DagFileResult>> {
  return withDagFileProbe(options.probe, async (probe) => {
    const results = new Map<string, DagFileResult>();
    for (const file of files) results.set(file, await loadDagFile(join(root, file), { ...options, probe, fileloc: file, root }));
    return results;
  });
}

/**
 * The snapshot of a folder from the load result of each of its DAG files (`files`, sorted):
 * DAG ids are given to their owners as `loadDagFolder` says; every other file defining a taken id
 * is an import error.
 */
export function assembleSnapshot(root: string, files: string[], results: ReadonlyMap<string, DagFileResult>, owners: ReadonlyMap<string, string>): DagFolderSnapshot {
  const loaded: LoadedDag[] = [];
  const errors: DagImportError[] = [];
  for (const file of files) {
    const result = results.get(file);
    if (!result) throw new Error(`assembleSnapshot: ${file} was not loaded`);
    if (result.ok) loaded.push(result.dag);
    else errors.push(result.error);
  }
  const dags = new Map<string, LoadedDag>();
  const holders = idHolders(files, loaded, errors, owners);
  for (const dag of loaded) {
    const id = dag.dag.id;
    const holder = holders.get(id);
    if (holder === dag.fileloc) dags.set(id, dag);
    else if (holder !== undefined) errors.push({ fileloc: dag.fileloc, message: duplicateIdMessage(id, holder, loaded.some((d) => d.fileloc === holder)) });
  }
  const order = new Map(files.map((f, i) => [f, i]));
  errors.sort((a, b) => (order.get(a.fileloc) ?? 0) - (order.get(b.fileloc) ?? 0));
  return { folder: root, dags, errors, files };
}

/** DAG id -> the file that gets it: its owner while the owner file claims it (or fails to load), else the first file defining it. */
function idHolders(files: readonly string[], loaded: readonly LoadedDag[], errors: readonly DagImportError[], owners: ReadonlyMap<string, string>): Map<string, string> {
  const present = new Set(files);
  const failed = new Set(errors.map((e) => e.fileloc));
  const defines = new Set(loaded.map((d) => `${d.fileloc}\0${d.dag.id}`));
  const holders = new Map<string, string>();
  for (const dag of loaded) {
    const id = dag.dag.id;
    if (holders.has(id)) continue;
    const owner = owners.get(id);
    const ownerClaims = owner !== undefined && present.has(owner) && (failed.has(owner) || defines.has(`${owner}\0${id}`));
    holders.set(id, ownerClaims ? owner : dag.fileloc);
  }
  return holders;
}

function duplicateIdMessage(id: string, holder: string, holderLoaded: boolean): string {
  return holderLoaded
    ? `DAG id "${id}" is already defined in ${holder}; DAG ids must be unique`
    : `DAG id "${id}" belongs to ${holder}, which fails to load; fix that file, or remove or rename it to give the id to another file (DAG ids must be unique)`;
}
