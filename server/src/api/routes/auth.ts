import { Router, type Request, type Response } from "express";
import type { Runtime } from "../../runtime/runtime";
import { writeAudit } from "../../store/audit";
import { createSession, deleteSession, findUserByName } from "../../store/users";
import { LoginRateLimiter } from "../auth/loginRateLimiter";
import { authenticate, principalOf, readCookie, SESSION_COOKIE } from "../auth/authenticate";
import { DUMMY_PASSWORD_HASH, hashToken, randomSecret, verifyPassword } from "../auth/secrets";
import { LoginRequestSchema, type CurrentUser } from "../contract";
import { HttpError, parseWith } from "../http";

/** How long a session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;

function sessionCookie(req: Request, value: string, maxAgeSec: number): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSec}${req.secure ? "; Secure" : ""}`;
}

async function login(rt: Runtime, limiter: LoginRateLimiter, req: Request, res: Response): Promise<void> {
  if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) throw new HttpError(415, "unsupported_media_type", "send the login as application/json");
  const body = parseWith(LoginRequestSchema, req.body, "body");
  const key = `${body.username}\u0000${req.ip ?? ""}`;
  if (limiter.isBlocked(key)) throw new HttpError(429, "too_many_attempts", "too many failed logins; try again in a few minutes");
  const user = await findUserByName(rt.db, body.username);
  // Verify against a dummy hash for unknown users too, so timing does not reveal which names exist.
  const ok = await verifyPassword(body.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !ok) {
    limiter.fail(key);
    await writeAudit(rt.db, { actor: body.username, action: "login_failed", target: null, details: { ip: req.ip } });
    throw new HttpError(401, "invalid_credentials", "wrong username or password");
  }
  limiter.reset(key);
  const token = randomSecret(32);
  await createSession(rt.db, user.id, hashToken(token), SESSION_TTL_MS);
  await writeAudit(rt.db, { actor: user.username, action: "login", target: null, details: { ip: req.ip } });
  res.setHeader("Set-Cookie", sessionCookie(req, token, SESSION_TTL_MS / 1000));
  const me: CurrentUser = { username: user.username, role: user.role };
  res.json(me);
}

/** `/api/auth`: login (public), logout, me. */
export function authRouter(rt: Runtime, limiter = new LoginRateLimiter()): Router {
  const r = Router();
  r.post("/login", (req, res) => login(rt, limiter, req, res));
  r.post("/logout", authenticate(rt.db), async (req, res) => {
    const cookie = readCookie(req, SESSION_COOKIE);
    if (cookie) await deleteSession(rt.db, hashToken(cookie));
    await writeAudit(rt.db, { actor: principalOf(res).user.username, action: "logout", target: null });
    res.setHeader("Set-Cookie", sessionCookie(req, "", 0));
    res.status(204).end();
  });
  r.get("/me", authenticate(rt.db), (_req, res) => {
    const { user } = principalOf(res);
    const me: CurrentUser = { username: user.username, role: user.role };
    res.json(me);
  });
  return r;
}
