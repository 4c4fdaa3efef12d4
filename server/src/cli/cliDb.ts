import { loadConfig, type RunnelConfig } from "../config/config";
import { redactUrl } from "../infra/serviceErrors";
import { createDb, ensureDatabaseExists, migrateLatest, type Db } from "../store/db";
import { CliError } from "./cliError";

/** Opens and migrates the configured database (creating the default `runnel` database when missing). */
export async function openMigratedDb(config: RunnelConfig, applicationName = "runnel-cli"): Promise<Db> {
  try {
    if (config.databaseUrlIsDefault) await ensureDatabaseExists(config.databaseUrl);
    const db = createDb(config.databaseUrl, { applicationName });
    await migrateLatest(db).catch(async (err: unknown) => {
      await db.destroy();
      throw err;
    });
    return db;
  } catch (err) {
    throw new CliError(`cannot use the database at ${redactUrl(config.databaseUrl)}: ${(err as Error).message} (set DATABASE_URL, or run \`pnpm start\` once to start a private one)`);
  }
}

/** Runs `fn` on the configured, migrated database and closes it. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openMigratedDb(loadConfig());
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}
