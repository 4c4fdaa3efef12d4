import { readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The modules of the DAG folder a file imports, directly or through other folder modules, as
 * paths relative to the folder; or `unknown` when that cannot be told from the source (an import
 * whose specifier is not a string literal, a relative import that resolves to no file, a
 * `#subpath` import): such a file is reloaded whenever any shared module changes.
 */
export type LocalImports = { known: true; files: Set<string> } | { known: false };

/** import/export ... from "x", import "x", import("x"), require("x"). */
const STATIC_SPECIFIER = /(?:\bfrom\s*|\bimport\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)(["'])([^"'\n]+)\1/g;
/** An import() or require() whose argument is not a plain string literal. */
const DYNAMIC_EXPRESSION = /\b(?:import|require)\s*\(\s*(?!["'][^"'\n]*["']\s*\))/;

/** What one file says it imports (cached per file stamp by the caller). */
export interface ModuleScan {
  specifiers: string[];
  opaque: boolean;
}

/** The import specifiers written in a module's source, and whether it has a non-literal import()/require(). */
export function scanSpecifiers(source: string): ModuleScan {
  const specifiers = [...source.matchAll(STATIC_SPECIFIER)].map((m) => m[2]!);
  return { specifiers, opaque: DYNAMIC_EXPRESSION.test(source) };
}

const EXTENSIONS = [".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx", ".json"];
/** `./x.js` may name `x.ts` (TypeScript's ESM convention, which tsx follows). */
const SOURCE_FOR = new Map([
  [".js", [".ts", ".tsx"]],
  [".mjs", [".mts"]],
  [".cjs", [".cts"]],
  [".jsx", [".tsx"]],
]);

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** The file a relative specifier names, as Node/tsx resolve it, or undefined. */
async function resolveFile(base: string): Promise<string | undefined> {
  const candidates = [base, ...EXTENSIONS.map((e) => base + e)];
  const ext = /\.[cm]?[jt]sx?$/.exec(base)?.[0];
  for (const alt of (ext && SOURCE_FOR.get(ext)) ?? []) candidates.push(base.slice(0, -ext!.length) + alt);
  candidates.push(...EXTENSIONS.map((e) => `${base}${sep}index${e}`));
  for (const c of candidates) if (await isFile(c)) return c;
  return undefined;
}

/**
 * Follows the imports of `file` (absolute) through the modules inside `root` (absolute), outside
 * node_modules. Bare specifiers (packages) are not followed: they are loaded once per process.
 * @param scan reads one module's specifiers (lets the caller cache by file stamp)
 */
export async function localImports(root: string, file: string, scan: (path: string) => Promise<ModuleScan> = scanModule): Promise<LocalImports> {
  const files = new Set<string>();
  const queue = [file];
  const seen = new Set(queue);
  while (queue.length) {
    const current = queue.pop()!;
    const found = await scan(current).catch(() => undefined);
    if (!found || found.opaque) return { known: false };
    for (const spec of found.specifiers) {
      if (spec.startsWith("#")) return { known: false };
      const isPath = spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("file:");
      if (!isPath) continue;
      const base = spec.startsWith("file:") ? fileURLToPath(spec) : resolve(dirname(current), spec.split("?")[0]!);
      const rel = relative(root, base);
      if (rel.startsWith("..") || isAbsolute(rel) || rel.split(sep).includes("node_modules")) continue;
      const target = await resolveFile(base);
      if (!target) return { known: false };
      if (seen.has(target)) continue;
      seen.add(target);
      files.add(relative(root, target).split(sep).join("/"));
      queue.push(target);
    }
  }
  return { known: true, files };
}

/** Reads one module's import specifiers (a JSON file imports nothing). */
export async function scanModule(path: string): Promise<ModuleScan> {
  if (path.endsWith(".json")) return { specifiers: [], opaque: false };
  return scanSpecifiers(await readFile(path, "utf8"));
}
