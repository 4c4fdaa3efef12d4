import { Redis } from "ioredis";

/**
 * An ioredis connection as BullMQ needs it (no per-request retry limit, so blocking commands
 * survive a Redis restart). The database number in the URL (redis://host:6379/3) is honoured.
 */
export function createRedis(url: string, name = "runnel"): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name });
}

/** Warns when Redis may evict keys: BullMQ needs `noeviction` to not lose jobs silently. */
export async function checkRedisEvictionPolicy(redis: Redis): Promise<string | null> {
  try {
    const res = (await redis.config("GET", "maxmemory-policy")) as string[];
    const policy = res[1] ?? "unknown";
    return policy === "noeviction" ? null : `Redis maxmemory-policy is "${policy}"; set it to "noeviction" so queued jobs are never evicted`;
  } catch {
    return null; // CONFIG may be disabled on managed Redis
  }
}
