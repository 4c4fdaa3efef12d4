import type { Db } from "./db";

/** An API token as listed (never its secret or hash). */
export interface ApiTokenListing {
  id: number;
  name: string;
  username: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface RawTokenRow {
  id: number;
  name: string;
  username: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toListing = (r: RawTokenRow): ApiTokenListing => ({ id: r.id, name: r.name, username: r.username, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at });

/** API tokens, newest first: of one user, or of everyone when `userId` is undefined. */
export async function listApiTokens(db: Db, userId?: number): Promise<ApiTokenListing[]> {
  const q = db("api_tokens as t").join("users as u", "u.id", "t.user_id").select("t.id", "t.name", "u.username", "t.created_at", "t.last_used_at", "t.revoked_at").orderBy("t.id", "desc");
  if (userId !== undefined) q.where("t.user_id", userId);
  return (await q).map(toListing);
}

/** One token (of `userId` only, when given), or undefined. */
export async function getApiToken(db: Db, id: number, userId?: number): Promise<ApiTokenListing | undefined> {
  const q = db("api_tokens as t").join("users as u", "u.id", "t.user_id").select("t.id", "t.name", "u.username", "t.created_at", "t.last_used_at", "t.revoked_at").where("t.id", id);
  if (userId !== undefined) q.where("t.user_id", userId);
  const row = (await q.first()) as RawTokenRow | undefined;
  return row ? toListing(row) : undefined;
}

/**
 * Revokes a token (of `userId` only, when given): it stops authenticating at once.
 * @returns the token, or undefined when there is no such token (or it is someone else's).
 * Revoking an already revoked token keeps its first revocation time.
 */
export async function revokeApiToken(db: Db, id: number, userId?: number): Promise<ApiTokenListing | undefined> {
  const q = db("api_tokens").where({ id }).whereNull("revoked_at");
  if (userId !== undefined) q.where({ user_id: userId });
  await q.update({ revoked_at: db.fn.now() });
  return getApiToken(db, id, userId);
}
