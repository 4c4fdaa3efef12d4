import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("apiinput", { worker: false, scheduler: false });
});
afterAll(async () => {
  await s?.close();
});

/** Sends a raw JSON text (so "\u0000" escapes reach the server as written). */
function rawJson(path: string, text: string, role: "operator" | "admin" | null = "operator"): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (role) headers.authorization = `Bearer ${s.tokens[role]}`;
  return fetch(`${s.base}${path}`, { method: "POST", headers, body: text });
}

async function expectBadRequest(res: Response, where: RegExp): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(400);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("invalid_request");
  expect(body.error.message).toMatch(/NUL/);
  expect(body.error.message).toMatch(where);
}

describe("a NUL character in a request", () => {
  it("in a path parameter is a 400 naming the path, for reads and actions", async () => {
    await expectBadRequest(await s.call("viewer", "/api/dags/x%00"), /path/);
    await expectBadRequest(await s.call("viewer", "/api/dags/x%00/grid"), /path/);
    await expectBadRequest(await s.call("operator", "/api/dags/x%00/pause", { method: "POST" }), /path/);
    await expectBadRequest(await s.call("operator", "/api/dags/x%00/pause", { body: {} }), /path/);
  });

  it("in a query string is a 400 naming the parameter", async () => {
    await expectBadRequest(await s.call("viewer", "/api/dead-letters?q=%00"), /query\.q/);
    await expectBadRequest(await s.call("viewer", "/api/runs?dagId=a%00b"), /query\.dagId/);
  });

  it("in a JSON body, at any depth, is a 400 naming the field", async () => {
    await expectBadRequest(await rawJson("/api/dags/flaky/trigger", '{"conf":{"note":"a\\u0000b"}}'), /body\.conf\.note/);
    await expectBadRequest(await rawJson("/api/dags/flaky/trigger", '{"conf":{"list":[{"k":"\\u0000"}]}}'), /body\.conf\.list\.0\.k/);
    await expectBadRequest(await rawJson("/api/dags/flaky/trigger", '{"conf":{"a\\u0000":1}}'), /body\.conf/);
    await expectBadRequest(await rawJson("/api/auth/login", '{"username":"adm\\u0000in","password":"x"}', null), /body\.username/);
    await expectBadRequest(await rawJson("/api/tokens", '{"name":"ci\\u0000"}', "admin"), /body\.name/);
    expect(await s.env.db("dag_runs").count<{ count: string }[]>("* as count")).toEqual([{ count: 0 }]);
  });

  it("inside a paging cursor is a 400, not a query that fails", async () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const statuses: string[] = [];
    for (const path of [`/api/runs?cursor=${cursor({ d: "2024-01-01T00:00:00.000Z\u0000", i: 1 })}`, `/api/dags/flaky/grid?cursor=${cursor({ d: "\u0000", i: 1 })}`, `/api/dead-letters?cursor=${cursor({ i: "\u0000" })}`]) {
      const res = await s.call("viewer", path);
      statuses.push(`${res.status} ${await res.text()}`);
    }
    expect(statuses).toEqual(Array(3).fill('400 {"error":{"code":"invalid_request","message":"invalid cursor"}}'));
  });

  it("leaves ordinary requests alone", async () => {
    expect((await s.call("viewer", "/api/dags/flaky")).status).toBe(200);
    expect((await s.call("viewer", "/api/dead-letters?q=timeout")).status).toBe(200);
    expect((await s.call("operator", "/api/dags/flaky/pause", { method: "POST" })).status).toBe(200);
    expect((await s.call("operator", "/api/dags/flaky/unpause", { body: {} })).status).toBe(200);
  });
});

describe("a mutation whose body is not JSON", () => {
  it("answers 415 with a message, and changes nothing (a form-encoded trigger with a bearer token)", async () => {
    const res = await fetch(`${s.base}/api/dags/flaky/trigger`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.tokens.operator}`, "content-type": "application/x-www-form-urlencoded" },
      body: "conf=%7B%22a%22%3A1%7D",
    });
    const text = await res.text();
    expect(res.status, text).toBe(415);
    expect(JSON.parse(text)).toEqual({ error: { code: "unsupported_media_type", message: expect.stringMatching(/application\/json/) } });
    expect(await s.env.db("dag_runs").count<{ count: string }[]>("* as count")).toEqual([{ count: 0 }]);
  });

  it("answers 415 for a body without a content type and for text/plain, on PATCH, PUT and DELETE too", async () => {
    for (const [method, path] of [
      ["POST", "/api/dags/flaky/trigger"],
      ["PATCH", "/api/dead-letters/1"],
      ["PUT", "/api/dags/flaky"],
      ["DELETE", "/api/tokens/1"],
    ] as const) {
      for (const type of [undefined, "text/plain"]) {
        const headers: Record<string, string> = { authorization: `Bearer ${s.tokens.admin}` };
        if (type) headers["content-type"] = type;
        const res = await fetch(`${s.base}${path}`, { method, headers, body: new TextEncoder().encode('{"conf":{}}') });
        expect(res.status, `${method} ${path} ${type ?? "(no type)"}`).toBe(415);
      }
    }
    const login = await fetch(`${s.base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "username=admin&password=x" });
    expect(login.status).toBe(415);
  });

  it("is in the OpenAPI document of every endpoint that takes a body", async () => {
    const doc = (await (await s.call("viewer", "/api/openapi.json")).json()) as { paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> };
    const withBody = Object.values(doc.paths).flatMap((ops) => Object.values(ops)).filter((op) => op.requestBody);
    expect(withBody.length).toBeGreaterThan(10);
    for (const op of withBody) expect(op.responses["415"]).toBeDefined();
    expect(doc.paths["/api/dags/{dagId}/trigger"]?.post?.responses["415"]).toBeDefined();
  });

  it("accepts JSON with a charset, and a bodyless action", async () => {
    const res = await fetch(`${s.base}/api/dags/flaky/trigger`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.tokens.operator}`, "content-type": "application/json; charset=utf-8" },
      body: "{}",
    });
    expect(res.status, await res.clone().text()).toBe(201);
  });
});
