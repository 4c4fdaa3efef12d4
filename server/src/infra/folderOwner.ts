import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "./processLiveness";

/**
 * `.runnel/start.json`: which `runnel start` owns this folder's private servers, and where they are.
 * Written by the owner (mode 0600: the URLs carry the private PostgreSQL's password), removed when it
 * exits; a file whose pid is gone is stale and ignored. Other `runnel` commands read it to reach the
 * private servers; a second `runnel start` reads it to refuse instead of taking them over.
 */
export interface FolderOwner {
  pid: number;
  /** The address the owner's HTTP server listens on. */
  host: string;
  port: number;
  startedAt: string;
  /** Set once the owner's PostgreSQL and Redis answer (the private ones, or the configured ones). */
  databaseUrl?: string;
  redisUrl?: string;
}

/** The owner file of `workDir`. */
export function ownerFilePath(workDir: string): string {
  return join(workDir, ".runnel", "start.json");
}

function parseOwner(text: string): FolderOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<FolderOwner>;
    if (typeof v.pid !== "number" || typeof v.port !== "number" || typeof v.host !== "string") return undefined;
    return v as FolderOwner;
  } catch {
    return undefined;
  }
}

function readOwnerFile(workDir: string): FolderOwner | undefined {
  try {
    return parseOwner(readFileSync(ownerFilePath(workDir), "utf8"));
  } catch {
    return undefined;
  }
}

/** The live owner of `workDir` (another process than this one), or undefined when there is none or the file is stale. */
export function readLiveOwner(workDir: string): FolderOwner | undefined {
  const owner = readOwnerFile(workDir);
  return owner && owner.pid !== process.pid && isProcessAlive(owner.pid) ? owner : undefined;
}

/** A second `runnel start` in a folder that a live one owns. */
export class FolderInUseError extends Error {
  override readonly name = "FolderInUseError";
  constructor(
    readonly workDir: string,
    readonly owner: FolderOwner,
  ) {
    super(
      `this folder (${workDir}) is in use by another \`runnel start\` (pid ${owner.pid}, on port ${owner.port}: http://${owner.host}:${owner.port}). ` +
        `It owns the private PostgreSQL/Redis in .runnel/; use that one, stop it first (kill ${owner.pid}), or start this one from another folder.`,
    );
  }
}

/** This process's claim on a folder. */
export interface FolderClaim {
  /** Records the URLs of the servers in use, for other `runnel` commands. */
  publish(urls: { databaseUrl: string; redisUrl: string }): void;
  /** Removes the owner file if it is still ours. Synchronous so it can run in an `exit` handler; idempotent. */
  release(): void;
}

/**
 * Claims `workDir` for this process, atomically (exclusive create), replacing a stale file.
 * Throws {@link FolderInUseError} when a live `runnel start` holds it.
 */
export function claimFolder(workDir: string, where: { host: string; port: number }): FolderClaim {
  const path = ownerFilePath(workDir);
  mkdirSync(join(workDir, ".runnel"), { recursive: true });
  let record: FolderOwner = { pid: process.pid, host: where.host, port: where.port, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(record), { flag: "wx", mode: 0o600 });
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST" || attempt >= 5) throw err;
      const owner = readOwnerFile(workDir);
      if (owner && owner.pid !== process.pid && isProcessAlive(owner.pid)) throw new FolderInUseError(workDir, owner);
      // Stale (its owner is gone) or unreadable: take it over.
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed it first; retry the exclusive create.
      }
    }
  }
  let released = false;
  const ours = (): boolean => readOwnerFile(workDir)?.pid === process.pid;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener("exit", release);
    try {
      if (ours()) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.on("exit", release);
  return {
    publish(urls) {
      if (released || !ours()) return;
      record = { ...record, ...urls };
      // Write then rename, so a reader never sees half a file (and never mistakes it for a stale one).
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
      renameSync(tmp, path);
    },
    release,
  };
}
