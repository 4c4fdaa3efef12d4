import type { NextFunction, Request, Response } from "express";
import { findNul, HttpError } from "./http";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Whether the request carries a body: chunked, or a Content-Length above 0 (a bodyless POST sends 0). */
function hasBody(req: Request): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const length = Number(req.headers["content-length"] ?? "0");
  return Number.isNaN(length) || length > 0;
}

/**
 * Every API body is JSON: a POST/PUT/PATCH/DELETE that carries a body of another type (a form,
 * text, or no Content-Type at all) is refused with 415 before anything reads it, instead of being
 * accepted with its fields silently ignored. Bodyless actions (`POST .../pause`) pass.
 */
export function requireJsonBodies(req: Request, _res: Response, next: NextFunction): void {
  if (MUTATING.has(req.method) && hasBody(req) && !req.is("application/json")) {
    throw new HttpError(415, "unsupported_media_type", `send the body of ${req.method} as application/json (got ${req.headers["content-type"] ?? "no Content-Type"})`);
  }
  next();
}

/**
 * Refuses a NUL character anywhere in the request with 400, for every route at once: in the path
 * (so in any path parameter), in any query parameter and anywhere in the JSON body. PostgreSQL
 * cannot store U+0000 in text or jsonb, so such a value could never be looked up or saved; saying
 * so here keeps it from reaching a query and becoming a 500. Runs after the JSON body parser.
 */
export function rejectNulCharacters(req: Request, _res: Response, next: NextFunction): void {
  const where = /%00/i.test(req.path) ? "path" : (findNul(req.query, "query") ?? findNul(req.body, "body"));
  if (where) throw new HttpError(400, "invalid_request", `${where} contains a NUL character (U+0000), which is not allowed`);
  next();
}
