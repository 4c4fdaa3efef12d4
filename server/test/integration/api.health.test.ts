import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { hashPassword, hashToken } from "../../src/api/auth/secrets";
import { createApiToken, createUser } from "../../src/store/users";
import { createEngineEnv, startEngine, trigger, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

let env: EngineEnv;
let engine: Engine;
let server: Server;
let base: string;

beforeAll(async () => {
  env = await createEngineEnv("api");
  engine = await startEngine(env.config);
  server = createApp(engine.rt).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const user = await createUser(env.db, "viewer", await hashPassword("pw"), "viewer");
  await createApiToken(env.db, user!.id, "test", hashToken("health-test-token"));
});
const auth = { headers: { authorization: "Bearer health-test-token" } };
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await engine?.close();
  await env?.drop();
});

describe("the HTTP server", () => {
  it("answers /health with the state of PostgreSQL and Redis, with security headers", async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", postgres: "ok", redis: "ok" });
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("serves Prometheus metrics that count finished work", async () => {
    const runId = await trigger(engine.rt, "flaky");
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/runnel_task_duration_seconds_count\{dag_id="flaky",state="success"\} [1-9]/);
    expect(text).toMatch(/runnel_task_tries_total\{dag_id="flaky",state="up_for_retry"\} 3/);
    expect(text).toMatch(/runnel_task_queue_wait_seconds_count\{dag_id="flaky"\} [1-9]/);
    expect(text).toMatch(/runnel_runs_total\{dag_id="flaky",state="success"\} 1/);
    expect(text).toMatch(/runnel_queue_depth\{state="waiting"\} \d+/);
  });

  it("lists DAGs with recent runs, and answers unknown API paths with a JSON 404", async () => {
    const body = (await (await fetch(`${base}/api/dags`, auth)).json()) as { dags: { dagId: string; recentRuns: { state: string }[] }[] };
    const flaky = body.dags.find((d) => d.dagId === "flaky");
    expect(flaky?.recentRuns[0]?.state).toBe("success");
    const missing = await fetch(`${base}/api/nope`, auth);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "not_found", message: "no such endpoint" } });
  });
});
