import { randomUUID } from "node:crypto";
import module from "node:module";
import { realpath } from "node:fs/promises";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";
import { LOAD_PARAM, ROOT_PARAM, encodeRoot, resolveSync } from "./reloadHooks.mjs";
import { resolveSync as sharedPackageResolveSync } from "./sharedPackageHooks.mjs";

type ScopedImport = (specifier: string, parentURL: string) => Promise<unknown>;

/** The tsx namespace every DAG module is loaded in; node_modules are loaded once in it. */
const NAMESPACE = "runnel-dags";
let scopedImport: ScopedImport | undefined;

/** `module.registerHooks` (Node >= 22.15); absent from the Node 20 typings. */
type RegisterHooks = (hooks: { resolve: typeof resolveSync }) => unknown;

/**
 * Installs, once per process, tsx (TypeScript, in its own namespace so it does not depend on how
 * the process was started) and the reload hooks, which must run before tsx's: synchronous hooks
 * always run before asynchronous ones, and within a kind the last registered runs first.
 */
function install(): ScopedImport {
  if (scopedImport) return scopedImport;
  const tsx = register({ namespace: NAMESPACE });
  const registerHooks = (module as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  // Registered last, so it runs first: it takes ES-module packages out of tsx's namespace (one copy per process).
  if (typeof registerHooks === "function") {
    registerHooks({ resolve: resolveSync });
    registerHooks({ resolve: sharedPackageResolveSync });
  } else {
    module.register("./reloadHooks.mjs", import.meta.url);
    module.register("./sharedPackageHooks.mjs", import.meta.url);
  }
  scopedImport = tsx.import as ScopedImport;
  return scopedImport;
}

/**
 * Imports a DAG file as a fresh module: the file and every module it imports from inside its
 * folder (helpers in subfolders included) are read and evaluated again, so an edit is picked up
 * without a restart, while node_modules and the Runnel SDK are loaded once per process (ES-module
 * packages are the very instances the server uses, see sharedPackageHooks.mjs; the old
 * module graph of a DAG file stays in memory, as every ES module does, but it is small).
 * @param root the DAG folder; default: the file's own folder.
 */
export async function importDagModule(path: string, root: string = dirname(path)): Promise<unknown> {
  const load = install();
  const [realRoot, realFile] = await Promise.all([realpath(root), realpath(path)]);
  const url = pathToFileURL(realFile);
  url.searchParams.set(ROOT_PARAM, encodeRoot(realRoot));
  url.searchParams.set(LOAD_PARAM, randomUUID());
  return load(url.href, import.meta.url);
}
