import type { UserRole } from "../sdk/states";
import type { Db } from "./db";

/** A user as the API sees it (never the password hash). */
export interface UserIdentity {
  id: number;
  username: string;
  role: UserRole;
}

/** A user row with its password hash, for login. */
export interface UserWithHash extends UserIdentity {
  passwordHash: string;
}

/** Creates a user. @returns null when the username is taken. */
export async function createUser(db: Db, username: string, passwordHash: string, role: UserRole): Promise<UserIdentity | null> {
  const rows = await db("users").insert({ username, password_hash: passwordHash, role }).onConflict("username").ignore().returning(["id", "username", "role"]);
  return (rows[0] as UserIdentity | undefined) ?? null;
}

/** Creates `username` only when no user exists at all (first start). Serialized by an advisory lock. */
export async function createFirstUser(db: Db, username: string, passwordHash: string, role: UserRole): Promise<boolean> {
  return db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('runnel:first-user'))");
    const any = await trx("users").first("id");
    if (any) return false;
    await trx("users").insert({ username, password_hash: passwordHash, role });
    return true;
  });
}

/** One user with its password hash, or undefined. */
export async function findUserByName(db: Db, username: string): Promise<UserWithHash | undefined> {
  const r = await db("users").where({ username }).first<{ id: number; username: string; role: UserRole; password_hash: string } | undefined>();
  return r ? { id: r.id, username: r.username, role: r.role, passwordHash: r.password_hash } : undefined;
}

/** Stores an API token's hash for a user. */
export async function createApiToken(db: Db, userId: number, name: string, tokenHash: string): Promise<number> {
  const rows = await db("api_tokens").insert({ user_id: userId, name, token_hash: tokenHash }).returning("id");
  return (rows[0] as { id: number }).id;
}

/** The user of a live (not revoked) API token, touching `last_used_at`. */
export async function userForApiToken(db: Db, tokenHash: string): Promise<UserIdentity | undefined> {
  const r = await db.raw<{ rows: UserIdentity[] }>(
    `UPDATE api_tokens t SET last_used_at = now() FROM users u
     WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.id = t.user_id
     RETURNING u.id, u.username, u.role`,
    [tokenHash],
  );
  return r.rows[0];
}

/** Opens a session that expires after `ttlMs`. */
export async function createSession(db: Db, userId: number, tokenHash: string, ttlMs: number): Promise<void> {
  await db.raw("INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (?, ?, now() + (? * interval '1 millisecond'))", [userId, tokenHash, ttlMs]);
}

/** The user of an unexpired session. */
export async function userForSession(db: Db, tokenHash: string): Promise<UserIdentity | undefined> {
  const r = await db.raw<{ rows: UserIdentity[] }>(
    `SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = ? AND s.expires_at > now()`,
    [tokenHash],
  );
  return r.rows[0];
}

/** Ends a session (logout); also drops expired ones. */
export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db("sessions").where({ token_hash: tokenHash }).orWhere("expires_at", "<", db.fn.now()).delete();
}
