import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { silentLogger } from "../../src/obs/logger";
import { Runtime } from "../../src/runtime/runtime";
import { startBlackholeProxy, type BlackholeProxy } from "../helpers/blackholeProxy";
import { createEngineEnv, type EngineEnv } from "../helpers/engine";
import { startFlushableRedis } from "../helpers/flushableRedis";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  cleanups.length = 0;
});
let env: EngineEnv | undefined;
afterAll(async () => env?.drop());

/** An HTTP server for `createApp` on a runtime whose URLs are overridden; closed after the test. */
async function serve(overrides: { databaseUrl?: string; redisUrl?: string }): Promise<{ base: string; rt: Runtime }> {
  env ??= await createEngineEnv("healthfaults");
  const rt = await Runtime.open({ ...env.config, ...overrides }, { component: "test", logger: silentLogger() });
  const server: Server = createApp(rt).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  cleanups.push(async () => {
    await new Promise((r) => server.close(r));
    await rt.close();
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, rt };
}

/** GET /health, failing the test if it takes more than 2 s. */
async function health(base: string): Promise<{ status: number; ms: number; body: Record<string, unknown> }> {
  const t0 = Date.now();
  const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, ms: Date.now() - t0, body };
}

function proxied(url: string, proxy: BlackholeProxy): string {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(proxy.port);
  return u.toString();
}

async function proxyTo(url: string): Promise<BlackholeProxy> {
  const u = new URL(url);
  const proxy = await startBlackholeProxy({ host: u.hostname, port: Number(u.port) });
  cleanups.push(() => proxy.close());
  return proxy;
}

describe("/health when a dependency is gone or hangs", () => {
  it("answers 503 naming redis within 2 s when its private Redis was stopped", async () => {
    const redis = await startFlushableRedis("health", 26_500);
    cleanups.push(() => redis.stop());
    const { base } = await serve({ redisUrl: redis.url });
    expect((await health(base)).status).toBe(200);

    await redis.stop();
    const r = await health(base);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: "degraded", postgres: "ok", redis: "down", failing: ["redis"] });
    expect(r.ms).toBeLessThan(2000);
  });

  it("answers 503 naming redis within 2 s when Redis accepts connections but never replies", async () => {
    const redis = await startFlushableRedis("health-hang", 26_600);
    cleanups.push(() => redis.stop());
    const proxy = await proxyTo(redis.url);
    const { base } = await serve({ redisUrl: proxied(redis.url, proxy) });
    expect((await health(base)).status).toBe(200);

    proxy.blackhole();
    const r = await health(base);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: "degraded", postgres: "ok", redis: "down", failing: ["redis"] });
    expect(r.ms).toBeLessThan(2000);
    // Cut the hung connection so the runtime can close.
    await proxy.close();
  });

  it("answers 503 naming postgres within 2 s when PostgreSQL accepts connections but never replies", async () => {
    env ??= await createEngineEnv("healthfaults");
    const proxy = await proxyTo(env.tdb.url);
    const { base } = await serve({ databaseUrl: proxied(env.tdb.url, proxy) });
    expect((await health(base)).status).toBe(200);

    proxy.blackhole();
    const r = await health(base);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: "degraded", postgres: "down", redis: "ok", failing: ["postgres"] });
    expect(r.ms).toBeLessThan(2000);
    await proxy.close();
  });
});
