import { dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";

const MAX_LINES = 12;
const MAX_CHARS = 2000;
/** A stack frame's location: a file URL or absolute path, then :line:column. */
const FRAME_LOCATION = /(file:\/\/[^\s()]+|\/[^\s():]+):(\d+):(\d+)/;

function framePath(location: string): string {
  const withoutQuery = location.replace(/\?[^:]*$/, "");
  if (!withoutQuery.startsWith("file://")) return withoutQuery;
  try {
    return fileURLToPath(withoutQuery);
  } catch {
    return withoutQuery;
  }
}

/**
 * The first stack frame inside the DAG's folder (the DAG file or one of its helper modules, not
 * node_modules), as "path:line:column". Frames carry tsx's namespace query, which is dropped.
 */
function userFrame(stack: string | undefined, dagPath: string): string | undefined {
  if (!stack) return undefined;
  const folder = dirname(dagPath) + sep;
  for (const line of stack.split("\n").slice(1)) {
    const match = FRAME_LOCATION.exec(line);
    if (!match) continue;
    const file = framePath(match[1]!);
    if (file.startsWith(folder) && !file.includes(`${sep}node_modules${sep}`)) return `${file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

function clip(text: string): string {
  let lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length > MAX_LINES) lines = [...lines.slice(0, MAX_LINES), `... (${lines.length - MAX_LINES} more lines)`];
  const joined = lines.join("\n");
  return joined.length > MAX_CHARS ? `${joined.slice(0, MAX_CHARS)}...` : joined;
}

/** esbuild's "Transform failed with 1 error:\n<file>:<line>:<col>: ERROR: ..." without the banner. */
function compileErrorText(message: string): string {
  const body = message.split("\n").slice(1).join("\n").trim();
  return `Compile error: ${body || message}`;
}

/**
 * A short, readable description of why loading `dagPath` failed: esbuild's message (with
 * file:line) for a compile error, else the error's name and message plus the first location in
 * the DAG's own code. Never a full stack; long messages are clipped.
 */
export function describeLoadError(err: unknown, dagPath: string): string {
  if (!(err instanceof Error) && (typeof err !== "object" || err === null || typeof (err as Error).message !== "string")) {
    return clip(`threw ${typeof err === "string" ? JSON.stringify(err) : String(err)}`);
  }
  const e = err as Error & { code?: unknown };
  if (e.name === "TransformError" || e.message.startsWith("Transform failed with")) return clip(compileErrorText(e.message));
  const head = e.name && e.name !== "Error" ? `${e.name}: ${e.message}` : e.message;
  const where = userFrame(e.stack, dagPath);
  return clip(where && !head.includes(where) ? `${head}\n    at ${where}` : head);
}
