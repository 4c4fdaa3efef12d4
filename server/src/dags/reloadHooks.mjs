// Module resolution hooks that make every load of a DAG file re-read the DAG folder's own
// modules while sharing everything else (node_modules, the Runnel SDK).
//
// A DAG file is imported as `file:///dags/x.ts?runnel-dag-root=<folder>&runnel-dag-load=<token>`
// (the folder base64url-encoded: tsx rejects file URLs carrying an encoded "/").
// Node caches ES modules by URL, so a new token is a fresh module. These hooks copy both
// parameters onto every module that file imports from inside <folder> (helpers in subfolders),
// so they are fresh too; modules outside the folder or under node_modules keep their URL and
// are loaded once per process. Plain JavaScript because Node loads hooks before any transpiler.
import { Buffer } from "node:buffer";
import { sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Query parameter naming (base64url) the DAG folder whose modules get reloaded. */
export const ROOT_PARAM = "runnel-dag-root";
/** Query parameter whose value is unique per load. */
export const LOAD_PARAM = "runnel-dag-load";

/**
 * The value of ROOT_PARAM for a folder.
 * @param {string} root absolute path of the DAG folder
 * @returns {string}
 */
export function encodeRoot(root) {
  return Buffer.from(root, "utf8").toString("base64url");
}

/**
 * @param {string} value
 * @returns {string}
 */
function decodeRoot(value) {
  return Buffer.from(value, "base64url").toString("utf8");
}

/**
 * The URL a module resolved to `url`, imported from `parentURL`, should be loaded under.
 * @param {string} url
 * @param {string | undefined} parentURL
 * @returns {string}
 */
export function reloadUrl(url, parentURL) {
  if (!parentURL || !parentURL.startsWith("file:") || !url.startsWith("file:")) return url;
  const parent = new URL(parentURL);
  const encodedRoot = parent.searchParams.get(ROOT_PARAM);
  const token = parent.searchParams.get(LOAD_PARAM);
  if (!encodedRoot || !token) return url;
  const root = decodeRoot(encodedRoot);
  const child = new URL(url);
  const path = fileURLToPath(child);
  const rootPath = root.endsWith(sep) ? root : `${root}${sep}`;
  if (!path.startsWith(rootPath) || path.includes(`${sep}node_modules${sep}`)) return url;
  if (child.searchParams.get(LOAD_PARAM) === token) return url;
  child.searchParams.set(ROOT_PARAM, encodedRoot);
  child.searchParams.set(LOAD_PARAM, token);
  return child.href;
}

/**
 * Off-thread resolve hook (module.register).
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: { parentURL?: string }) => Promise<{ url: string }>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  return { ...result, url: reloadUrl(result.url, context.parentURL) };
}

/**
 * In-thread resolve hook (module.registerHooks).
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: { parentURL?: string }) => { url: string }} nextResolve
 */
export function resolveSync(specifier, context, nextResolve) {
  const result = nextResolve(specifier, context);
  return { ...result, url: reloadUrl(result.url, context.parentURL) };
}
