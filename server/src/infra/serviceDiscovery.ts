import { readLiveOwner } from "./folderOwner";
import { isConnectionRefused } from "./serviceErrors";

/** What {@link discoverRunningServices} found: the variables to set, and a line saying so. */
export interface DiscoveredServices {
  env: { DATABASE_URL?: string; REDIS_URL?: string };
  /** For the user, e.g. "using the private PostgreSQL of `runnel start` (pid 123)"; empty when nothing was found. */
  notes: string[];
}

/**
 * For `runnel` commands other than `start`: when DATABASE_URL (or REDIS_URL) is unset and nothing
 * listens at the default address, the URL of the server that a live `runnel start` in `workDir`
 * uses (its private one), read from `.runnel/start.json`. A stale file (its pid is gone) is ignored.
 */
export async function discoverRunningServices(env: NodeJS.ProcessEnv, workDir: string): Promise<DiscoveredServices> {
  const found: DiscoveredServices = { env: {}, notes: [] };
  if (env.DATABASE_URL && env.REDIS_URL) return found;
  const owner = readLiveOwner(workDir);
  if (!owner) return found;
  // Loaded only when a `runnel start` owns the folder: every CLI command starts here, most with no owner.
  const [{ loadConfig }, { probePostgres }, { pingRedis }] = await Promise.all([import("../config/config"), import("./localServices"), import("./privateRedis")]);
  const config = loadConfig(env);
  const refused = (probe: Promise<void>): Promise<boolean> => probe.then(
    () => false,
    (err: unknown) => isConnectionRefused(err),
  );
  if (config.databaseUrlIsDefault && owner.databaseUrl && owner.databaseUrl !== config.databaseUrl && (await refused(probePostgres(config.databaseUrl, 2000)))) {
    found.env.DATABASE_URL = owner.databaseUrl;
    found.notes.push(`using the PostgreSQL of \`runnel start\` (pid ${owner.pid})`);
  }
  if (config.redisUrlIsDefault && owner.redisUrl && owner.redisUrl !== config.redisUrl && (await refused(pingRedis(config.redisUrl, 2000)))) {
    found.env.REDIS_URL = owner.redisUrl;
    found.notes.push(`using the Redis of \`runnel start\` (pid ${owner.pid})`);
  }
  return found;
}
