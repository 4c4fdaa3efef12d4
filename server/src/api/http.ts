import type { NextFunction, Request, Response } from "express";
import type { z } from "zod";
import type { Logger } from "../obs/logger";
import { BackfillError } from "../scheduler/createBackfill";
import { TriggerError } from "../scheduler/triggerRun";
import { TaskActionError } from "../store/taskActions";
import type { ApiErrorBody } from "./contract";

/** An error answered as `{ error: { code, message } }` with `status`. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** "conf.region: Invalid input" — each zod issue with the path of the field it is about. */
export function describeIssues(error: z.ZodError, prefix = ""): string {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(root)"}: ${i.message}`).join("; ");
}

/**
 * Parses a request part with a contract schema.
 * @throws HttpError 400 `invalid_request` naming each bad field (prefixed with `where`, e.g. "query").
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new HttpError(400, "invalid_request", `invalid ${where}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** A positive integer path parameter. @throws HttpError 400. */
export function idParam(req: Request, name: string): number {
  const raw = req.params[name];
  const n = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n <= 0) throw new HttpError(400, "invalid_request", `${name} must be a positive integer`);
  return n;
}

/** A string path parameter. */
export function strParam(req: Request, name: string): string {
  const raw = req.params[name];
  if (typeof raw !== "string" || !raw) throw new HttpError(400, "invalid_request", `${name} is required`);
  return raw;
}

function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof TriggerError) return new HttpError(400, "invalid_params", err.message);
  if (err instanceof BackfillError) return new HttpError(400, err.code, err.message);
  if (err instanceof TaskActionError) return new HttpError(err.code === "not_found" ? 404 : err.code === "conflict" ? 409 : 400, err.code, err.message);
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === "entity.parse.failed") return new HttpError(400, "invalid_json", "the body is not valid JSON");
  if (e?.type === "entity.too.large") return new HttpError(413, "too_large", "the body is too large");
  if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) return new HttpError(e.status, "bad_request", "bad request");
  return undefined;
}

/** The last error handler: every failure becomes `{ error: { code, message } }`, never a stack trace. */
export function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const http = toHttpError(err);
    if (!http) log.error({ err }, "request failed");
    const body: ApiErrorBody = { error: { code: http?.code ?? "internal", message: http?.message ?? "internal error" } };
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(http?.status ?? 500).json(body);
  };
}

/**
 * Where in `value` the first NUL character (U+0000) is, in a string or an object key, as a dotted
 * path under `root` ("body.conf.note"), or undefined. Iterative, so a deeply nested body cannot
 * overflow the stack.
 */
export function findNul(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}.${i}`]);
    } else if (v !== null && typeof v === "object") {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes("\u0000")) return `${path} (a key)`;
        stack.push([child, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}

/** Opaque keyset cursors: base64url of a small JSON value. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Decodes a cursor with `schema`. @throws HttpError 400 for a cursor this server did not make. */
export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new HttpError(400, "invalid_request", "invalid cursor");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success || findNul(raw, "cursor") !== undefined) throw new HttpError(400, "invalid_request", "invalid cursor");
  return parsed.data;
}
