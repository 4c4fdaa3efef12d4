import type { UserRole } from "../model/states";
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

/**
 * The user of a live (not revoked) API token. `last_used_at` is touched at most once a minute:
 * writing it on every request made each GET a committed write (WAL flush) and serialized
 * concurrent requests of one token on its row lock.
 */
export async function userForApiToken(db: Db, tokenHash: string): Promise<UserIdentity | undefined> {
  const r = await db.raw<{ rows: UserIdentity[] }>(
    `WITH t AS (
       SELECT t.id AS token_id, t.last_used_at, u.id, u.username, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = ? AND t.revoked_at IS NULL),
     touch AS (
       UPDATE api_tokens a SET last_used_at = now() FROM t
       WHERE a.id = t.token_id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'))
     SELECT id, username, role FROM t`,
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

/** A user as listed to admins. */
export interface UserListing extends UserIdentity {
  createdAt: Date;
}

/** Every user, by name. */
export async function listUsers(db: Db): Promise<UserListing[]> {
  const rows = await db("users").select("id", "username", "role", "created_at").orderBy("username");
  return rows.map((r: { id: number; username: string; role: UserRole; created_at: Date }) => ({ id: r.id, username: r.username, role: r.role, createdAt: r.created_at }));
}

/** Why a user change was refused. */
export type UserChangeRefusal = "not_found" | "last_admin";

/**
 * Changes a user's role and/or password hash in one transaction. A password change ends the
 * user's sessions (except `keepSessionHash`, the caller's own). Refuses to demote the last admin.
 */
export async function updateUser(
  db: Db,
  username: string,
  change: { role?: UserRole; passwordHash?: string },
  keepSessionHash?: string,
): Promise<UserListing | UserChangeRefusal> {
  return db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('runnel:users:admins'))");
    const user = await trx("users").where({ username }).first<{ id: number; role: UserRole } | undefined>("id", "role");
    if (!user) return "not_found";
    if (change.role && change.role !== "admin" && user.role === "admin") {
      const admins = await trx("users").where({ role: "admin" }).count<{ n: string }[]>("* as n");
      if (Number(admins[0]?.n ?? 0) <= 1) return "last_admin";
    }
    const patch = { ...(change.role ? { role: change.role } : {}), ...(change.passwordHash ? { password_hash: change.passwordHash } : {}) };
    const [row] = await trx("users").where({ id: user.id }).update(patch).returning(["id", "username", "role", "created_at"]);
    if (change.passwordHash) await trx("sessions").where({ user_id: user.id }).whereNot("token_hash", keepSessionHash ?? "").delete();
    const r = row as { id: number; username: string; role: UserRole; created_at: Date };
    return { id: r.id, username: r.username, role: r.role, createdAt: r.created_at };
  });
}

/**
 * Deletes a user; their sessions and API tokens go with them (ON DELETE CASCADE), so neither
 * authenticates any more. The audit log keeps their name. Refuses to delete the last admin.
 */
export async function deleteUser(db: Db, username: string): Promise<UserIdentity | UserChangeRefusal> {
  return db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('runnel:users:admins'))");
    const user = await trx("users").where({ username }).first<{ id: number; username: string; role: UserRole } | undefined>("id", "username", "role");
    if (!user) return "not_found";
    if (user.role === "admin") {
      const admins = await trx("users").where({ role: "admin" }).count<{ n: string }[]>("* as n");
      if (Number(admins[0]?.n ?? 0) <= 1) return "last_admin";
    }
    await trx("users").where({ id: user.id }).delete();
    return user;
  });
}
