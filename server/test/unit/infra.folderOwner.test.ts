import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { claimFolder, FolderInUseError, ownerFilePath, readLiveOwner } from "../../src/infra/folderOwner";
import { waitForProcessExit } from "../../src/infra/processLiveness";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function workDir(): string {
  const d = mkdtempSync(join(tmpdir(), "runnel-owner-"));
  dirs.push(d);
  return d;
}
function writeOwner(dir: string, pid: number): void {
  mkdirSync(join(dir, ".runnel"), { recursive: true });
  writeFileSync(ownerFilePath(dir), JSON.stringify({ pid, host: "127.0.0.1", port: 8123, startedAt: new Date().toISOString(), databaseUrl: "postgres://x@127.0.0.1:1/runnel" }));
}

describe(".runnel/start.json", () => {
  it("names a live owner (refusing a second claim) and is ignored once that process is gone", async () => {
    const dir = workDir();
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      writeOwner(dir, other.pid!);
      expect(readLiveOwner(dir)).toMatchObject({ pid: other.pid, port: 8123 });
      expect(() => claimFolder(dir, { host: "127.0.0.1", port: 9000 })).toThrow(FolderInUseError);
      expect(() => claimFolder(dir, { host: "127.0.0.1", port: 9000 })).toThrow(`(pid ${other.pid}, on port 8123`);
    } finally {
      other.kill("SIGKILL");
      await waitForProcessExit(other.pid!, 5000);
    }
    expect(readLiveOwner(dir)).toBeUndefined();

    const claim = claimFolder(dir, { host: "127.0.0.1", port: 9000 });
    claim.publish({ databaseUrl: "postgres://p@127.0.0.1:5/runnel", redisUrl: "redis://127.0.0.1:6" });
    expect(JSON.parse(readFileSync(ownerFilePath(dir), "utf8"))).toMatchObject({ pid: process.pid, port: 9000, databaseUrl: "postgres://p@127.0.0.1:5/runnel", redisUrl: "redis://127.0.0.1:6" });
    expect(statSync(ownerFilePath(dir)).mode & 0o777).toBe(0o600);
    claim.release();
    expect(existsSync(ownerFilePath(dir))).toBe(false);
  });

  it("release leaves a file that another process wrote alone", () => {
    const dir = workDir();
    const claim = claimFolder(dir, { host: "127.0.0.1", port: 9000 });
    writeOwner(dir, process.pid + 1_000_000);
    claim.release();
    expect(existsSync(ownerFilePath(dir))).toBe(true);
  });
});
