import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAdminUser } from "../../src/api/auth/bootstrapAdmin";
import { verifyPassword } from "../../src/api/auth/secrets";
import { findUserByName } from "../../src/store/users";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("apiauth", { worker: false });
});
afterAll(async () => {
  await s?.close();
});

async function login(username: string, password: string): Promise<Response> {
  return fetch(`${s.base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });
}

describe("API authentication and roles", () => {
  it("answers 401 without a session or token, except /health and the login", async () => {
    for (const path of ["/api/dags", "/api/runs", "/api/auth/me", "/api/openapi.json", "/api/events", "/api/audit"]) {
      const res = await s.call(null, path);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ error: { code: "unauthenticated", message: "log in or send an API token" } });
    }
    expect((await s.call(null, "/api/dags", { headers: { authorization: "Bearer rn_nope" } })).status).toBe(401);
    expect((await fetch(`${s.base}/health`)).status).toBe(200);
  });

  it("logs in with a session cookie (HttpOnly, SameSite=Strict), serves /me, and logs out", async () => {
    const res = await login("operator", s.password);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ username: "operator", role: "operator" });
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^runnel_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const cookie = setCookie.split(";")[0]!;
    const me = await fetch(`${s.base}/api/auth/me`, { headers: { cookie } });
    expect(await me.json()).toEqual({ username: "operator", role: "operator" });
    const token = decodeURIComponent(cookie.split("=")[1]!);
    const stored = await s.env.db("sessions").select("token_hash");
    expect(stored.some((r: { token_hash: string }) => r.token_hash.includes(token))).toBe(false);

    // CSRF: a cookie-authenticated mutation that is not JSON is refused.
    const form = await fetch(`${s.base}/api/dags/flaky/pause`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: "a=b" });
    expect(form.status).toBe(415);
    const ok = await fetch(`${s.base}/api/dags/flaky/pause`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: "{}" });
    expect(ok.status).toBe(200);

    const out = await fetch(`${s.base}/api/auth/logout`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: "{}" });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await fetch(`${s.base}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  it("rejects a wrong password, and rate-limits after 10 failures for that username and address", async () => {
    expect((await login("viewer", "wrong")).status).toBe(401);
    expect((await login("ghost", "wrong")).status).toBe(401);
    for (let i = 0; i < 9; i++) await login("viewer", "wrong");
    const blocked = await login("viewer", s.password);
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe("too_many_attempts");
    expect((await login("admin", s.password)).status).toBe(200);
  });

  it("validates the login body", async () => {
    const res = await fetch(`${s.base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "x" }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("password");
    const broken = await fetch(`${s.base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: { code: "invalid_json", message: "the body is not valid JSON" } });
  });

  it("lets viewers read, forbids them actions (403), lets operators act, and keeps the audit log for admins", async () => {
    expect((await s.call("viewer", "/api/dags")).status).toBe(200);
    const denied = await s.call("viewer", "/api/dags/flaky/trigger", { body: {} });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    expect((await s.call("viewer", "/api/dags/flaky/unpause", { body: {} })).status).toBe(403);
    const triggered = await s.call("operator", "/api/dags/flaky/trigger", { body: {} });
    expect(triggered.status).toBe(201);
    expect((await s.call("operator", "/api/audit")).status).toBe(403);
    const audit = (await (await s.call("admin", "/api/audit")).json()) as { entries: { actor: string; action: string; target: string | null }[] };
    expect(audit.entries.map((e) => `${e.actor} ${e.action} ${e.target ?? ""}`)).toEqual(
      expect.arrayContaining(["operator trigger dag:flaky", "operator pause dag:flaky", "operator login ", "viewer login_failed "]),
    );
  });

  it("pages the audit log with a cursor", async () => {
    const first = (await (await s.call("admin", "/api/audit?limit=2")).json()) as { entries: { id: number }[]; nextCursor: string | null };
    expect(first.entries).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = (await (await s.call("admin", `/api/audit?limit=2&cursor=${first.nextCursor}`)).json()) as { entries: { id: number }[] };
    expect(second.entries[0]!.id).toBeLessThan(first.entries[1]!.id);
    expect((await s.call("admin", "/api/audit?cursor=garbage")).status).toBe(400);
  });

  it("sets security headers on API answers", async () => {
    const res = await s.call("viewer", "/api/dags");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-type")).toContain("application/json");
  });

  it("serves an OpenAPI 3.1 document that lists the paths", async () => {
    const doc = (await (await s.call("viewer", "/api/openapi.json")).json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(doc.openapi).toBe("3.1.0");
    for (const p of ["/api/dags", "/api/dags/{dagId}", "/api/dags/{dagId}/grid", "/api/runs", "/api/runs/{dagRunId}/clear", "/api/task-instances/{id}/logs", "/api/auth/login", "/api/events"]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect(JSON.stringify(doc.paths["/api/runs/{dagRunId}/clear"]!.post!.requestBody)).toContain("failedOnly");
  });

  it("creates the first admin once, from RUNNEL_ADMIN_PASSWORD", async () => {
    await s.env.db("users").where({ username: "admin" }).delete();
    // Other users exist: nothing is created.
    expect(await ensureAdminUser(s.env.db, "s3cret", () => {})).toBe(false);
    await s.env.db("users").delete();
    const printed: string[] = [];
    expect(await ensureAdminUser(s.env.db, "s3cret", (l) => printed.push(l))).toBe(true);
    const admin = await findUserByName(s.env.db, "admin");
    expect(admin?.role).toBe("admin");
    expect(await verifyPassword("s3cret", admin!.passwordHash)).toBe(true);
    expect(printed.join("\n")).not.toContain("s3cret");
    expect(await ensureAdminUser(s.env.db, undefined, () => {})).toBe(false);
  });
});
