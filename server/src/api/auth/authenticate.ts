import type { NextFunction, Request, Response } from "express";
import type { UserRole } from "../../model/states";
import type { Db } from "../../store/db";
import { userForApiToken, userForSession, type UserIdentity } from "../../store/users";
import { HttpError } from "../http";
import { hashToken } from "./secrets";

/** Name of the session cookie. */
export const SESSION_COOKIE = "runnel_session";

const RANK: Record<UserRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** Who made a request, and how. */
export interface Principal {
  user: UserIdentity;
  via: "session" | "token";
}

/** The value of one cookie of the request, or undefined. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The principal `authenticate` attached. @throws HttpError 401 when there is none. */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new HttpError(401, "unauthenticated", "log in or send an API token");
  return p;
}

async function resolvePrincipal(db: Db, req: Request): Promise<Principal | undefined> {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) {
    const user = await userForApiToken(db, hashToken(header.slice(7).trim()));
    return user ? { user, via: "token" } : undefined;
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  if (!cookie) return undefined;
  const user = await userForSession(db, hashToken(cookie));
  return user ? { user, via: "session" } : undefined;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Requires a session cookie or `Authorization: Bearer <token>` (401 otherwise).
 *
 * CSRF: a cookie-authenticated mutating request must be `Content-Type: application/json`
 * (415 otherwise). A cross-site page cannot send that content type without a CORS preflight,
 * which this server never grants, and the session cookie is `SameSite=Strict`, so browsers do
 * not attach it to cross-site requests at all. Together that is enough; no CSRF token needed.
 * Bearer tokens are never sent automatically by a browser, so they need no such check.
 */
export function authenticate(db: Db) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const principal = await resolvePrincipal(db, req);
    if (!principal) throw new HttpError(401, "unauthenticated", "log in or send an API token");
    if (principal.via === "session" && MUTATING.has(req.method) && !(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) {
      throw new HttpError(415, "unsupported_media_type", "send mutating requests as application/json");
    }
    res.locals.principal = principal;
    next();
  };
}

/** Requires at least `role` (403 otherwise; 401 without a principal). */
export function requireRole(role: UserRole) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const { user } = principalOf(res);
    if (RANK[user.role] < RANK[role]) throw new HttpError(403, "forbidden", `this needs the ${role} role (you are ${user.role})`);
    next();
  };
}
