import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiToken, CreateTokenResponse, CreateUserResponse, TokenListResponse, User, UserListResponse } from "../../src/api/contract";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("apiadmin", { worker: false, scheduler: false });
});
afterAll(async () => {
  await s?.close();
});

const json = async <T>(res: Response, status: number): Promise<T> => {
  const body = (await res.json()) as T;
  expect(res.status, JSON.stringify(body)).toBe(status);
  return body;
};
const login = (username: string, password: string) =>
  fetch(`${s.base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });
const auditActions = async (): Promise<string[]> => (await s.env.db("audit_log").select("action").orderBy("id")).map((r: { action: string }) => r.action);

describe("user administration (admins only)", () => {
  it("forbids viewers and operators every user endpoint (403)", async () => {
    for (const role of ["viewer", "operator"] as const) {
      expect((await s.call(role, "/api/users")).status).toBe(403);
      expect((await s.call(role, "/api/users", { body: { username: "x", role: "viewer" } })).status).toBe(403);
      expect((await s.call(role, "/api/users/viewer", { method: "PATCH", body: { role: "admin" } })).status).toBe(403);
      expect((await s.call(role, "/api/users/viewer", { method: "DELETE" })).status).toBe(403);
    }
    expect((await s.call(null, "/api/users")).status).toBe(401);
    expect(await s.env.db("users").where({ username: "x" }).first()).toBeUndefined();
  });

  it("lists, creates (generated password answered once), updates and deletes users, each audited", async () => {
    const list = await json<UserListResponse>(await s.call("admin", "/api/users"), 200);
    expect(list.users.map((u) => [u.username, u.role])).toEqual([["admin", "admin"], ["operator", "operator"], ["viewer", "viewer"]]);
    expect(JSON.stringify(list)).not.toContain("scrypt");

    const created = await json<CreateUserResponse>(await s.call("admin", "/api/users", { body: { username: "dana", role: "viewer" } }), 201);
    expect(created.user).toMatchObject({ username: "dana", role: "viewer" });
    expect(created.generatedPassword).toMatch(/^[\w-]{20,}$/);
    expect((await login("dana", created.generatedPassword!)).status).toBe(200);
    const given = await json<CreateUserResponse>(await s.call("admin", "/api/users", { body: { username: "eve", role: "operator", password: "long enough pw" } }), 201);
    expect(given.generatedPassword).toBeNull();
    expect((await s.call("admin", "/api/users", { body: { username: "eve", role: "viewer" } })).status).toBe(409);
    const bad = await json<{ error: { message: string } }>(await s.call("admin", "/api/users", { body: { username: "no spaces", role: "root", password: "short" } }), 400);
    expect(bad.error.message).toMatch(/username[\s\S]*role[\s\S]*password/);

    const danaSession = (await login("dana", created.generatedPassword!)).headers.get("set-cookie")!.split(";")[0]!;
    const updated = await json<User>(await s.call("admin", "/api/users/dana", { method: "PATCH", body: { role: "operator", password: "a new password" } }), 200);
    expect(updated).toMatchObject({ username: "dana", role: "operator" });
    expect((await fetch(`${s.base}/api/auth/me`, { headers: { cookie: danaSession } })).status).toBe(401);
    expect((await login("dana", "a new password")).status).toBe(200);
    expect((await s.call("admin", "/api/users/nobody", { method: "PATCH", body: { role: "viewer" } })).status).toBe(404);
    expect((await s.call("admin", "/api/users/dana", { method: "PATCH", body: {} })).status).toBe(400);

    expect((await s.call("admin", "/api/users/eve", { method: "DELETE" })).status).toBe(204);
    expect((await s.call("admin", "/api/users/eve", { method: "DELETE" })).status).toBe(404);
    expect(await auditActions()).toEqual(expect.arrayContaining(["user_create", "user_update", "user_delete"]));
    const audit = await s.env.db("audit_log").where({ action: "user_create", target: "user:dana" }).first<{ actor: string; details: unknown }>();
    expect(audit?.actor).toBe("admin");
    expect(JSON.stringify(audit?.details)).not.toContain(created.generatedPassword!);
  });

  it("refuses to delete yourself or to demote the last admin", async () => {
    const self = await json<{ error: { code: string } }>(await s.call("admin", "/api/users/admin", { method: "DELETE" }), 409);
    expect(self.error.code).toBe("conflict");
    expect((await s.call("admin", "/api/users/admin", { method: "PATCH", body: { role: "viewer" } })).status).toBe(409);
    expect((await s.env.db("users").where({ username: "admin" }).first()).role).toBe("admin");
  });

  it("deleting a user ends their sessions and API tokens", async () => {
    await s.call("admin", "/api/users", { body: { username: "fred", role: "viewer", password: "fred's password" } });
    const cookie = (await login("fred", "fred's password")).headers.get("set-cookie")!.split(";")[0]!;
    const made = await json<CreateTokenResponse>(await fetch(`${s.base}/api/tokens`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ name: "laptop" }) }), 201);
    expect((await fetch(`${s.base}/api/dags`, { headers: { authorization: `Bearer ${made.secret}` } })).status).toBe(200);
    expect((await s.call("admin", "/api/users/fred", { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${s.base}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${s.base}/api/dags`, { headers: { authorization: `Bearer ${made.secret}` } })).status).toBe(401);
  });
});

describe("API tokens", () => {
  it("lets any user create a token for themselves (secret answered once, never listed) and revoke it: it then answers 401", async () => {
    const made = await json<CreateTokenResponse>(await s.call("viewer", "/api/tokens", { body: { name: "ci" } }), 201);
    expect(made.secret).toMatch(/^rn_/);
    expect(made.token).toMatchObject({ name: "ci", username: "viewer", revokedAt: null });
    const stored = await s.env.db("api_tokens").where({ id: made.token.id }).first<{ token_hash: string }>();
    expect(stored?.token_hash).not.toContain(made.secret);

    const mine = await json<TokenListResponse>(await s.call("viewer", "/api/tokens"), 200);
    expect(mine.tokens.every((t) => t.username === "viewer")).toBe(true);
    expect(mine.tokens.map((t) => t.id)).toContain(made.token.id);
    expect(JSON.stringify(mine)).not.toContain(made.secret);

    const bearer = { authorization: `Bearer ${made.secret}` };
    expect((await fetch(`${s.base}/api/auth/me`, { headers: bearer })).status).toBe(200);
    const revoked = await json<ApiToken>(await fetch(`${s.base}/api/tokens/${made.token.id}`, { method: "DELETE", headers: bearer }), 200);
    expect(revoked.revokedAt).not.toBeNull();
    expect((await fetch(`${s.base}/api/auth/me`, { headers: bearer })).status).toBe(401);
    expect(await auditActions()).toEqual(expect.arrayContaining(["token_create", "token_revoke"]));
  });

  it("hides other users' tokens from non-admins (404 on revoke), and lets admins see and revoke all", async () => {
    const opToken = await json<CreateTokenResponse>(await s.call("operator", "/api/tokens", { body: { name: "deploy" } }), 201);
    expect((await s.call("viewer", `/api/tokens/${opToken.token.id}`, { method: "DELETE" })).status).toBe(404);
    const all = await json<TokenListResponse>(await s.call("admin", "/api/tokens"), 200);
    expect(new Set(all.tokens.map((t) => t.username))).toEqual(new Set(["viewer", "operator", "admin"]));
    expect((await s.call("admin", `/api/tokens/${opToken.token.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await fetch(`${s.base}/api/dags`, { headers: { authorization: `Bearer ${opToken.secret}` } })).status).toBe(401);
    expect((await s.call("operator", "/api/tokens", { body: { name: "" } })).status).toBe(400);
  });

  it("documents the new endpoints in the OpenAPI document", async () => {
    const doc = await json<{ paths: Record<string, Record<string, { "x-runnel-role": string }>> }>(await s.call("viewer", "/api/openapi.json"), 200);
    expect(doc.paths["/api/users/{username}"]?.patch?.["x-runnel-role"]).toBe("admin");
    expect(doc.paths["/api/tokens/{id}"]?.delete?.["x-runnel-role"]).toBe("viewer");
    expect(Object.keys(doc.paths["/api/users"] ?? {}).sort()).toEqual(["get", "post"]);
  });
});
