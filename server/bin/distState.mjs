// Whether server/dist (the compiled server) matches server/src, cheaply enough to ask on every
// `runnel` start: a fingerprint of the name, size and modification time of every file under src
// (and of the build script), compared with the one the build recorded in dist/.build.json.
// Any difference (an edit, a new, removed or renamed file, a checkout) means dist is stale.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The server package folder (server/). */
export const SERVER_DIR = fileURLToPath(new URL("..", import.meta.url));
export const SRC_DIR = join(SERVER_DIR, "src");
export const DIST_DIR = join(SERVER_DIR, "dist");
/** Written last by the build: `{ "fingerprint": "..." }`. */
export const STAMP_FILE = ".build.json";
/** Files outside src whose change changes the output. */
const BUILD_INPUTS = [fileURLToPath(new URL("./buildDist.mjs", import.meta.url))];

/**
 * The fingerprint of the sources as they are now.
 * @param {string} [srcDir]
 * @param {string[]} [inputs] other files the build reads
 * @returns {string}
 */
export function sourceFingerprint(srcDir = SRC_DIR, inputs = BUILD_INPUTS) {
  const lines = [];
  const walk = (dir, rel) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      const name = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(abs, name);
      else {
        const s = statSync(abs);
        lines.push(`${name}\t${s.size}\t${s.mtimeMs}`);
      }
    }
  };
  walk(srcDir, "src");
  for (const file of inputs) {
    const s = statSync(file);
    lines.push(`${file}\t${s.size}\t${s.mtimeMs}`);
  }
  return createHash("sha256").update(lines.sort().join("\n")).digest("hex");
}

/**
 * The fingerprint dist was built from, or undefined when there is no complete build.
 * @param {string} [dir]
 * @returns {string | undefined}
 */
export function builtFingerprint(dir = DIST_DIR) {
  try {
    const stamp = JSON.parse(readFileSync(join(dir, STAMP_FILE), "utf8"));
    return typeof stamp.fingerprint === "string" ? stamp.fingerprint : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether dist holds a build of the sources as they are now.
 * @param {string} [distDir]
 * @param {string} [srcDir]
 * @param {string[]} [inputs]
 * @returns {boolean}
 */
export function distIsCurrent(distDir = DIST_DIR, srcDir = SRC_DIR, inputs = BUILD_INPUTS) {
  const built = builtFingerprint(distDir);
  if (built === undefined) return false;
  try {
    return built === sourceFingerprint(srcDir, inputs);
  } catch {
    return false;
  }
}
