import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_DATABASE_URL, loadConfig } from "../../src/config/config";

describe("loadConfig", () => {
  it("uses local defaults and says so", () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe(DEFAULT_DATABASE_URL);
    expect(c.databaseUrlIsDefault).toBe(true);
    expect(c.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(c.workerConcurrency).toBe(8);
    expect(c.warehouseUrl).toBe(DEFAULT_DATABASE_URL);
  });

  it("accepts a Redis database number and explicit URLs", () => {
    const c = loadConfig({ REDIS_URL: "redis://127.0.0.1:6379/3", DATABASE_URL: "postgres://u@h:5432/db", RUNNEL_WORKER_CONCURRENCY: "16" });
    expect(c.redisUrl).toBe("redis://127.0.0.1:6379/3");
    expect(c.redisUrlIsDefault).toBe(false);
    expect(c.databaseUrlIsDefault).toBe(false);
    expect(c.workerConcurrency).toBe(16);
  });

  it("names every bad variable and its value", () => {
    let error: unknown;
    try {
      loadConfig({ REDIS_URL: "redis://127.0.0.1:6379/three", DATABASE_URL: "mysql://x", RUNNEL_WORKER_CONCURRENCY: "-2" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('REDIS_URL="redis://127.0.0.1:6379/three"');
    expect(message).toContain('DATABASE_URL="mysql://x"');
    expect(message).toContain('RUNNEL_WORKER_CONCURRENCY="-2"');
  });

  it("reads RUNNEL_RETENTION as days, hours or minutes and refuses anything else", () => {
    expect(loadConfig({}).retentionMs).toBeNull();
    expect(loadConfig({ RUNNEL_RETENTION: "90d" }).retentionMs).toBe(90 * 86_400_000);
    expect(loadConfig({ RUNNEL_RETENTION: "12h" }).retentionMs).toBe(12 * 3_600_000);
    for (const bad of ["90", "90 days", "0d", "-1d", "1.5d"]) {
      expect(() => loadConfig({ RUNNEL_RETENTION: bad }), bad).toThrow(/RUNNEL_RETENTION=.*whole number of days, hours or minutes/);
    }
  });
});
