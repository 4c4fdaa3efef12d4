import { Router, type Response } from "express";
import type { Runtime } from "../../runtime/runtime";
import { getApiToken, listApiTokens, revokeApiToken, type ApiTokenListing } from "../../store/apiTokens";
import { createApiToken } from "../../store/users";
import { principalOf } from "../auth/authenticate";
import { hashToken, randomSecret } from "../auth/secrets";
import { CreateTokenRequestSchema, type ApiToken, type CreateTokenResponse, type TokenListResponse } from "../contract";
import { HttpError, idParam, parseWith } from "../http";
import { recordAction } from "../recordAction";

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const presentToken = (t: ApiTokenListing): ApiToken => ({ id: t.id, name: t.name, username: t.username, createdAt: t.createdAt.toISOString(), lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) });

/** The user id whose tokens the caller may see and revoke; undefined = everyone's (admins). */
function scopeOf(res: Response): number | undefined {
  const { user } = principalOf(res);
  return user.role === "admin" ? undefined : user.id;
}

async function create(rt: Runtime, body: unknown, res: Response): Promise<CreateTokenResponse> {
  const req = parseWith(CreateTokenRequestSchema, body, "body");
  const { user } = principalOf(res);
  const secret = randomSecret(32, "rn_");
  const id = await createApiToken(rt.db, user.id, req.name, hashToken(secret));
  await recordAction(rt.db, res, "token_create", `token:${id}`, { name: req.name, user: user.username });
  const token = await getApiToken(rt.db, id);
  if (!token) throw new Error(`token ${id} vanished after insert`);
  return { token: presentToken(token), secret };
}

async function revoke(rt: Runtime, id: number, res: Response): Promise<ApiToken> {
  const token = await revokeApiToken(rt.db, id, scopeOf(res));
  // Someone else's token answers 404 too: a non-admin learns nothing about other users' tokens.
  if (!token) throw new HttpError(404, "not_found", `no token ${id}`);
  await recordAction(rt.db, res, "token_revoke", `token:${id}`, { name: token.name, user: token.username });
  return presentToken(token);
}

/** `/api/tokens/*`: any signed-in user manages their own API tokens; admins see and revoke all. */
export function tokensRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/tokens", async (_req, res) => {
    const body: TokenListResponse = { tokens: (await listApiTokens(rt.db, scopeOf(res))).map(presentToken) };
    res.json(body);
  });
  r.post("/tokens", async (req, res) => void res.status(201).json(await create(rt, req.body, res)));
  r.delete("/tokens/:id", async (req, res) => void res.json(await revoke(rt, idParam(req, "id"), res)));
  return r;
}
