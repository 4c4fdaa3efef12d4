/**
 * Built-in sensors (`import { fileExists } from "runnel/sensors"`). Each returns a poke function
 * `(ctx) => Promise<boolean>` for `dag.sensor(id, { poke: fileExists("in/{ds}/*.csv") })`. They
 * reach Runnel's records only through the context (`ctx.warehouse`, `ctx.connection`,
 * `ctx.lookup`), never by importing the engine. A poke that throws fails the try (and is
 * retried per the task's retry policy); a condition that does not hold yet returns false.
 */
import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { TaskContext } from "./types";

/** The part of the task context the built-in sensors use. */
export type SensorContext = Pick<TaskContext<unknown, unknown>, "ds" | "partition" | "logicalDate" | "dagId" | "signal" | "log" | "warehouse" | "connection" | "lookup">;

/** A poke function built by this module. */
export type Poke = (ctx: SensorContext) => Promise<boolean>;

/** Fills `{ds}`, `{partition}` and `{dagId}` in `template` from the context. */
export function fillPlaceholders(template: string, ctx: Pick<SensorContext, "ds" | "partition" | "dagId">): string {
  return template.replace(/\{(ds|partition|dagId)\}/g, (_, key: "ds" | "partition" | "dagId") => ctx[key]);
}

const WILDCARD = /[*?[]/;

function segmentRegex(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += `[${segment.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** Whether anything under `dir` matches the remaining glob `segments` (`*`, `?`, `[...]`, `**`). */
async function anyMatch(dir: string, segments: readonly string[]): Promise<boolean> {
  if (!segments.length) return stat(dir).then(() => true, () => false);
  const [head, ...rest] = segments as [string, ...string[]];
  if (head === "**") {
    if (await anyMatch(dir, rest)) return true;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory() && (await anyMatch(join(dir, e.name), segments))) return true;
    return false;
  }
  if (!WILDCARD.test(head)) return anyMatch(join(dir, head), rest);
  if (rest.length && !(await isDir(dir))) return false;
  const re = segmentRegex(head);
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const name of entries) if (re.test(name) && (await anyMatch(join(dir, name), rest))) return true;
  return false;
}

/**
 * Whether a file matching the glob `pattern` exists, after filling `{ds}`, `{partition}` and
 * `{dagId}`. Relative patterns are read from the working directory; `*`, `?`, `[abc]` match
 * within one path segment, `**` any number of folders.
 */
export async function globExists(pattern: string): Promise<boolean> {
  const abs = isAbsolute(pattern) ? pattern : resolve(pattern);
  const parts = abs.split("/");
  const firstWild = parts.findIndex((p) => WILDCARD.test(p));
  if (firstWild < 0) return stat(abs).then(() => true, () => false);
  const root = parts.slice(0, firstWild).join("/") || "/";
  return anyMatch(root, parts.slice(firstWild));
}

/** Pokes true once a file matching `pattern` exists, e.g. `fileExists("data/in/orders/{ds}*.json")`. */
export function fileExists(pattern: string): Poke {
  return async (ctx) => globExists(fillPlaceholders(pattern, ctx));
}

/** Options of `sqlReturnsRows`. */
export interface SqlSensorOptions {
  /** A named connection (env `RUNNEL_CONN_<NAME>`); default `ctx.warehouse`. */
  connection?: string;
}

/**
 * Pokes true once `sql` returns at least one row. `params` are $1-style bind values, or a
 * function of the context (e.g. `(ctx) => [ctx.ds]`). Runs on `ctx.warehouse` unless a named
 * connection is given. A SQL error fails the try.
 */
export function sqlReturnsRows(sql: string, params: readonly unknown[] | ((ctx: SensorContext) => readonly unknown[]) = [], options: SqlSensorOptions = {}): Poke {
  return async (ctx) => {
    const client = options.connection ? ctx.connection(options.connection) : ctx.warehouse;
    const rows = await client.query(sql, typeof params === "function" ? params(ctx) : params);
    return rows.length > 0;
  };
}

/** Options of `httpOk`. */
export interface HttpSensorOptions {
  /** Gives up on one request after this long (a poke that says "not yet"). Default 10 000. */
  timeoutMs?: number;
  /** Default "GET". */
  method?: string;
  headers?: Record<string, string>;
}

/**
 * Pokes true once `url` (placeholders filled) answers 2xx within `timeoutMs`. A non-2xx status,
 * a network error or a timeout is "not yet" (and logged).
 */
export function httpOk(url: string, options: HttpSensorOptions = {}): Poke {
  return async (ctx) => {
    const target = fillPlaceholders(url, ctx);
    try {
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(options.timeoutMs ?? 10_000)]);
      const res = await fetch(target, { method: options.method ?? "GET", headers: options.headers, signal });
      await res.body?.cancel().catch(() => undefined);
      if (!res.ok) ctx.log.info(`${target} answered ${res.status}`);
      return res.ok;
    } catch (err) {
      ctx.log.info(`${target} did not answer: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  };
}

/** Pokes true once task `taskId` of DAG `dagId` succeeded in a run with this run's logical date. */
export function externalTaskSucceeded(dagId: string, taskId: string): Poke {
  return async (ctx) => (await ctx.lookup.taskState(dagId, taskId, ctx.logicalDate)) === "success";
}

/**
 * Pokes true once `dataset` ("schema.table" of a partition overwrite, or "file://<absolute path>"
 * written by `ctx.files.overwrite`) has an event for `partition` (placeholders filled; default this run's
 * partition; `"*"` for any partition).
 */
export function datasetPartitionWritten(dataset: string, partition?: string): Poke {
  return async (ctx) => {
    const p = partition === undefined ? ctx.partition : partition === "*" ? null : fillPlaceholders(partition, ctx);
    return ctx.lookup.datasetPartitionWritten(dataset, p);
  };
}
