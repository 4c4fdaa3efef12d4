import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePort } from "../../src/infra/freePort";
import { findOnPath, startPrivateRedis } from "../../src/infra/privateRedis";

/** A redis-server of the test's own, so FLUSHALL cannot touch the Redis other test files share. */
export interface FlushableRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startFlushableRedis(label: string, preferredPort: number): Promise<FlushableRedis> {
  const binary = await findOnPath("redis-server");
  if (!binary) throw new Error("redis-server is not on PATH");
  const dir = await mkdtemp(join(tmpdir(), `runnel-${label}-redis-`));
  const redis = await startPrivateRedis({ binary, dir, preferredPort: await findFreePort(preferredPort), log: () => undefined });
  return {
    url: redis.url,
    async stop() {
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
