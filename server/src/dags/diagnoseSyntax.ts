import { createRequire } from "node:module";
import { extname } from "node:path";

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number } | null;
}
interface EsbuildLike {
  transformSync(code: string, options: { loader: "ts" | "js"; sourcefile: string; format: "esm"; logLevel: "silent" }): unknown;
}

let esbuild: EsbuildLike | null | undefined;

/** esbuild as tsx uses it (tsx depends on it), or null when it cannot be found. */
function loadEsbuild(): EsbuildLike | null {
  if (esbuild !== undefined) return esbuild;
  try {
    const require = createRequire(import.meta.url);
    esbuild = createRequire(require.resolve("tsx/esm/api"))("esbuild") as EsbuildLike;
  } catch {
    esbuild = null;
  }
  return esbuild;
}

/**
 * Whether a load error is a parse failure whose own message says little: tsx runs plain `.js`/`.mjs`
 * files through es-module-lexer, which reports only "Parse error <file>:1:1".
 */
export function isVagueSyntaxError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: unknown; message?: unknown };
  return (typeof e.message === "string" && e.message.startsWith("Parse error")) || e.name === "SyntaxError";
}

/**
 * Compiles `source` with esbuild only to find its first syntax errors, as
 * "Compile error: <file>:<line>:<column>: ERROR: <text>". Undefined when esbuild finds none
 * (the failure was something else) or is not available.
 */
export function diagnoseSyntax(source: string, path: string): string | undefined {
  const build = loadEsbuild();
  if (!build) return undefined;
  const ext = extname(path);
  try {
    build.transformSync(source, { loader: ext === ".js" || ext === ".mjs" ? "js" : "ts", sourcefile: path, format: "esm", logLevel: "silent" });
    return undefined;
  } catch (err) {
    const errors = (err as { errors?: EsbuildMessage[] }).errors ?? [];
    if (errors.length === 0) return undefined;
    const lines = errors.slice(0, 3).map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ERROR: ${m.text}` : `ERROR: ${m.text}`));
    return `Compile error: ${lines.join("\n")}`;
  }
}
