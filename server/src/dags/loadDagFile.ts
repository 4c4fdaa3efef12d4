import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { isDagDefinition, type DagDefinition } from "../sdk/defineDag";
import type { CompiledSchedule } from "../schedule/index";
import type { SerializedDag } from "../model/graph";
import { describeLoadError } from "./describeLoadError";
import { diagnoseSyntax, isVagueSyntaxError } from "./diagnoseSyntax";
import { serializeDag, versionHash } from "./serializeDag";
import { importDagModule } from "./importDagModule";
import { withDagFileProbe, type DagFileProbe } from "./probeDagFile";
import { formatProblems, validateDag, type ScheduleCompiler } from "./validateDag";

/** A DAG file that loaded and passed validation. */
export interface LoadedDag {
  dag: DagDefinition;
  /** Where the DAG came from, relative to the DAG folder (e.g. "hello.ts"); stored as `dags.fileloc`. */
  fileloc: string;
  /** Absolute path of the file on this machine. */
  path: string;
  /** The file's text as loaded; stored with each version. */
  source: string;
  serialized: SerializedDag;
  /** sha256 of the serialized graph and the source: one `dag_versions` row per distinct value. */
  versionHash: string;
  schedule: CompiledSchedule;
}

/** A file that could not be turned into a DAG; one `dag_import_errors` row. */
export interface DagImportError {
  fileloc: string;
  /** One line or a few: what went wrong and where, never a long stack. */
  message: string;
}

/** The result of loading one file. */
export type DagFileResult = { ok: true; dag: LoadedDag } | { ok: false; error: DagImportError };

/** Options of `loadDagFile`. */
export interface LoadDagFileOptions {
  /** The name recorded for the file; default: `path` as given. */
  fileloc?: string;
  /** The DAG folder: modules imported from inside it are reloaded with the file. Default: the file's folder. */
  root?: string;
  /** A file whose import has not settled by then is an import error. Default 30 000 ms. */
  timeoutMs?: number;
  /** Schedule compiler (default: the schedule module's `compileSchedule`). */
  compileSchedule?: ScheduleCompiler;
  /** The probe thread to load through first (a folder pass shares one); default: one for this file. */
  probe?: DagFileProbe;
}

const NO_DAG = "exports no DAG: default-export the result of defineDag(...)";

async function importFresh(path: string, root: string | undefined, timeoutMs: number, probe: DagFileProbe | undefined): Promise<Record<string, unknown>> {
  const hung = `did not finish loading within ${timeoutMs} ms (an endless loop at its top level, or a top-level await that never settles?)`;
  // First in a thread that can be stopped: an endless loop would otherwise hang this process.
  const probed = await withDagFileProbe(probe, (p) => p.probe(path, root ?? dirname(path), timeoutMs));
  if (probed.kind === "timeout") throw new Error(hung);
  if (probed.kind === "exited") throw new Error(`${probed.message}: a DAG file must not exit`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(hung)), timeoutMs);
  });
  try {
    const mod: unknown = await Promise.race([importDagModule(path, root), timeout]);
    return (typeof mod === "object" && mod !== null ? mod : {}) as Record<string, unknown>;
  } finally {
    clearTimeout(timer);
  }
}

function noDagMessage(mod: Record<string, unknown>): string {
  const named = Object.keys(mod).filter((key) => key !== "default" && isDagDefinition(mod[key]));
  return named.length > 0 ? `${NO_DAG} (found a DAG in the named export "${named[0]}")` : NO_DAG;
}

/**
 * Loads one DAG file in isolation (TypeScript or JavaScript, through tsx), checks its default
 * export is a valid DAG, and serializes it. Never throws: a compile error, a throw at import, a
 * missing DAG export, an invalid option or a load that never settles or never ends comes back as an import
 * error with a short message.
 */
export async function loadDagFile(path: string, options: LoadDagFileOptions = {}): Promise<DagFileResult> {
  const fileloc = options.fileloc ?? path;
  const fail = (message: string): DagFileResult => ({ ok: false, error: { fileloc, message } });
  let source: string | undefined;
  let mod: Record<string, unknown>;
  try {
    source = await readFile(path, "utf8");
    mod = await importFresh(path, options.root, options.timeoutMs ?? 30_000, options.probe);
  } catch (err) {
    const precise = source !== undefined && isVagueSyntaxError(err) ? diagnoseSyntax(source, path) : undefined;
    return fail(precise ?? describeLoadError(err, path));
  }
  const dag = mod.default;
  if (!isDagDefinition(dag)) return fail(noDagMessage(mod));
  const checked = options.compileSchedule ? validateDag(dag, options.compileSchedule) : validateDag(dag);
  if (!checked.ok) return fail(formatProblems(dag.id, checked.problems));
  try {
    const serialized = serializeDag(dag, checked.schedule);
    const hash = versionHash(serialized, source);
    return { ok: true, dag: { dag, fileloc, path, source, serialized, versionHash: hash, schedule: checked.schedule } };
  } catch (err) {
    return fail(`DAG "${dag.id}": ${describeLoadError(err, path)}`);
  }
}
