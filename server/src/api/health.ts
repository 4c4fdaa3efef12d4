import type { Redis } from "ioredis";
import type { Db } from "../store/db";

/** Each dependency must answer within this; the whole /health answer comes within it (plus a few ms). */
export const HEALTH_CHECK_TIMEOUT_MS = 1500;

/** The dependencies /health checks, as named in its JSON. */
export type HealthDependency = "postgres" | "redis";

/**
 * The /health body: `status` "ok" (HTTP 200) or "degraded" (HTTP 503), each dependency "ok" or "down",
 * and, when degraded, which ones failed and why.
 */
export interface HealthReport {
  status: "ok" | "degraded";
  postgres: "ok" | "down";
  redis: "ok" | "down";
  failing?: HealthDependency[];
  reasons?: Partial<Record<HealthDependency, string>>;
}

/** Resolves with undefined when `probe` succeeds in time, else with why not. Never waits longer than `timeoutMs`. */
async function probeWithin(probe: () => Promise<unknown>, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const attempt = (async () => {
    await probe();
    return undefined;
  })().catch((err: unknown) => (err instanceof Error ? err.message || err.name : String(err)));
  try {
    return await Promise.race([attempt, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks PostgreSQL (SELECT 1 through the pool) and Redis (PING on the shared connection) at once,
 * each bounded by `timeoutMs`: a server that is gone, or that accepts connections and never
 * answers, is reported as down instead of holding the request.
 */
export async function checkHealth(deps: { db: Db; redis: Redis }, timeoutMs = HEALTH_CHECK_TIMEOUT_MS): Promise<HealthReport> {
  const redisProbe = async (): Promise<void> => {
    // Commands to a connection that is not ready wait in ioredis's offline queue: do not queue one.
    if (deps.redis.status !== "ready") throw new Error(`connection is ${deps.redis.status}`);
    await deps.redis.ping();
  };
  const [postgres, redis] = await Promise.all([probeWithin(() => deps.db.raw("SELECT 1"), timeoutMs), probeWithin(redisProbe, timeoutMs)]);
  const reasons: Partial<Record<HealthDependency, string>> = {};
  if (postgres !== undefined) reasons.postgres = postgres;
  if (redis !== undefined) reasons.redis = redis;
  const failing = Object.keys(reasons) as HealthDependency[];
  const report: HealthReport = { status: failing.length ? "degraded" : "ok", postgres: postgres === undefined ? "ok" : "down", redis: redis === undefined ? "ok" : "down" };
  return failing.length ? { ...report, failing, reasons } : report;
}
