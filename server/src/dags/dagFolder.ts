import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadDagFile, type DagImportError, type LoadDagFileOptions, type LoadedDag } from "./loadDagFile";
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
 * becomes an import error and the others still load; when two files define the same DAG id,
 * the one that sorts second gets the error. Throws only when the folder itself is missing.
 */
export async function loadDagFolder(folder: string, options: Omit<LoadDagFileOptions, "fileloc" | "root"> = {}): Promise<DagFolderSnapshot> {
  const root = resolve(folder);
  const files = await listDagFiles(root);
  return withDagFileProbe(options.probe, (probe) => loadFiles(root, files, { ...options, probe }));
}

async function loadFiles(root: string, files: string[], options: Omit<LoadDagFileOptions, "fileloc" | "root">): Promise<DagFolderSnapshot> {
  const dags = new Map<string, LoadedDag>();
  const errors: DagImportError[] = [];
  for (const file of files) {
    const result = await loadDagFile(join(root, file), { ...options, fileloc: file, root });
    if (!result.ok) {
      errors.push(result.error);
      continue;
    }
    const id = result.dag.dag.id;
    const first = dags.get(id);
    if (first) {
      errors.push({ fileloc: file, message: `DAG id "${id}" is already defined in ${first.fileloc}; DAG ids must be unique` });
      continue;
    }
    dags.set(id, result.dag);
  }
  return { folder: root, dags, errors, files };
}
