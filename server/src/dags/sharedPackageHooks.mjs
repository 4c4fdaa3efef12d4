// A resolve hook that loads the ES-module packages DAG files import (zod, ...) as the server does,
// outside tsx's namespace: tsx marks every module a namespaced import reaches with
// `?tsx-namespace=...`, so each package would be a second copy, read and evaluated again through
// the loader thread (zod alone: ~250 ms per process). A package file needs no TypeScript transform;
// CommonJS packages and TypeScript files keep the namespace (tsx's CommonJS interop). Plain
// JavaScript because Node loads hooks before any transpiler.

const NAMESPACE_PARAM = "tsx-namespace";

/**
 * `url` without tsx's namespace when it is an ES module inside node_modules.
 * @param {{ url: string, format?: string | null }} result
 * @returns {{ url: string, format?: string | null }}
 */
export function sharedPackage(result) {
  if (result.format !== "module" || !result.url.startsWith("file:") || !result.url.includes("/node_modules/")) return result;
  const url = new URL(result.url);
  if (!url.searchParams.has(NAMESPACE_PARAM) || !/\.(m?js|json)$/.test(url.pathname)) return result;
  url.searchParams.delete(NAMESPACE_PARAM);
  return { ...result, url: url.href };
}

/**
 * Off-thread resolve hook (module.register).
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: { parentURL?: string }) => Promise<{ url: string, format?: string | null }>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  return sharedPackage(await nextResolve(specifier, context));
}

/**
 * In-thread resolve hook (module.registerHooks).
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: { parentURL?: string }) => { url: string, format?: string | null }} nextResolve
 */
export function resolveSync(specifier, context, nextResolve) {
  return sharedPackage(nextResolve(specifier, context));
}
