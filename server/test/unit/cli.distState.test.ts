import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builtFingerprint, distIsCurrent, sourceFingerprint, STAMP_FILE } from "../../bin/distState.mjs";

let root: string;
let src: string;
let dist: string;
let script: string;

/** Records the sources as they are now as dist's build, as buildDist does. */
async function stamp(): Promise<void> {
  await mkdir(dist, { recursive: true });
  await writeFile(join(dist, STAMP_FILE), JSON.stringify({ fingerprint: sourceFingerprint(src, [script]) }));
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "runnel-dist-state-"));
  src = join(root, "src");
  dist = join(root, "dist");
  script = join(root, "build.mjs");
  await mkdir(join(src, "cli"), { recursive: true });
  await writeFile(join(src, "cli", "main.ts"), "export const a = 1;\n");
  await writeFile(join(src, "cli", "program.ts"), "export const b = 2;\n");
  await writeFile(script, "// build\n");
  await stamp();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const current = (): boolean => distIsCurrent(dist, src, [script]);

describe("whether server/dist matches server/src", () => {
  it("is current right after a build, and reads the recorded fingerprint", () => {
    expect(current()).toBe(true);
    expect(builtFingerprint(dist)).toBe(sourceFingerprint(src, [script]));
  });

  it("is stale without a complete build (no stamp)", async () => {
    await rm(join(dist, STAMP_FILE));
    expect(builtFingerprint(dist)).toBeUndefined();
    expect(current()).toBe(false);
  });

  it("is stale after an edit, even one that keeps the size", async () => {
    const later = new Date(Date.now() + 5_000);
    await writeFile(join(src, "cli", "main.ts"), "export const a = 9;\n");
    await utimes(join(src, "cli", "main.ts"), later, later);
    expect(current()).toBe(false);
  });

  it("is stale when a file's time goes back (a checkout of older content)", async () => {
    const earlier = new Date(Date.now() - 86_400_000);
    await utimes(join(src, "cli", "program.ts"), earlier, earlier);
    expect(current()).toBe(false);
  });

  it("is stale after a file is added, removed or renamed", async () => {
    await writeFile(join(src, "cli", "extra.sql"), "SELECT 1;\n");
    expect(current()).toBe(false);
    await stamp();
    await rename(join(src, "cli", "extra.sql"), join(src, "cli", "renamed.sql"));
    expect(current()).toBe(false);
    await stamp();
    await rm(join(src, "cli", "renamed.sql"));
    expect(current()).toBe(false);
  });

  it("is stale after the build script changes", async () => {
    await writeFile(script, "// build, changed\n");
    expect(current()).toBe(false);
  });

  it("is stale, not an error, when the sources cannot be read", async () => {
    await rm(src, { recursive: true });
    expect(current()).toBe(false);
  });
});
