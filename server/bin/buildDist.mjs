#!/usr/bin/env node
// Compiles server/src to server/dist (plain ES modules, one .js per .ts, same layout, so paths
// computed from import.meta.url stay right) with esbuild, the transpiler tsx itself uses. No type
// checking here: `pnpm typecheck` does that. Non-TypeScript files (.mjs, .sql) are copied.
// Skips the work when dist already matches src (see distState.mjs). The new build is written
// beside dist and swapped in by renames, so a reader never sees half a build.
//
//   node server/bin/buildDist.mjs [--force] [--quiet]
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { builtFingerprint, DIST_DIR, SERVER_DIR, SRC_DIR, STAMP_FILE, sourceFingerprint } from "./distState.mjs";

/** esbuild as tsx uses it (tsx depends on it; the server does not need a copy of its own). */
function loadEsbuild() {
  const require = createRequire(import.meta.url);
  return createRequire(require.resolve("tsx/esm/api"))("esbuild");
}

/** Every file under `dir`, as paths relative to it. */
function listFiles(dir, rel = "") {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const name = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, name) : [name];
  });
}

const TS_SOURCE = /(?<!\.d)\.ts$/;
/** Copied as they are: modules Node loads before any transpiler, and SQL the store applies. */
const COPIED = /\.(mjs|sql)$/;

/**
 * Relative imports point at files that are compiled one by one: `./x` becomes `./x.js` (or
 * `./x/index.js`) and stays an import, so every module keeps its own file. Packages stay imports too.
 */
const relativeImportsStayExternal = {
  name: "relative-imports-stay-external",
  setup(build) {
    build.onResolve({ filter: /^\.\.?(\/|$)/ }, (args) => {
      if (args.kind === "entry-point") return undefined;
      const target = resolve(args.resolveDir, args.path);
      if (/\.(mjs|js|json)$/.test(args.path)) return { path: args.path, external: true };
      if (existsSync(`${target}.ts`)) return { path: `${args.path.replace(/\.ts$/, "")}.js`, external: true };
      if (args.path.endsWith(".ts") && existsSync(target)) return { path: args.path.replace(/\.ts$/, ".js"), external: true };
      if (existsSync(join(target, "index.ts"))) return { path: `${args.path.replace(/\/$/, "")}/index.js`, external: true };
      return { errors: [{ text: `cannot resolve ${args.path} from ${relative(SERVER_DIR, args.importer)}` }] };
    });
  },
};

/**
 * Node's ES module resolution wants the file name of a deep import into a package that has no
 * `exports` map (`ajv/dist/2020` -> `ajv/dist/2020.js`); tsx guessed it for the source.
 */
const deepPackageImportsGetExtensions = {
  name: "deep-package-imports-get-extensions",
  setup(build) {
    build.onResolve({ filter: /^(@[^/]+\/)?[^./@][^/]*\/.+/ }, (args) => {
      if (args.path.startsWith("node:") || /\.(c|m)?js$|\.json$/.test(args.path)) return undefined;
      const parts = args.path.split("/");
      const name = parts.slice(0, args.path.startsWith("@") ? 2 : 1).join("/");
      const require = createRequire(args.importer);
      const manifestPath = require.resolve(`${name}/package.json`);
      if (require(manifestPath).exports !== undefined) return { path: args.path, external: true };
      const file = relative(dirname(manifestPath), require.resolve(args.path)).split(sep).join("/");
      return { path: `${name}/${file}`, external: true };
    });
  },
};

/**
 * Builds dist when it does not match src (or always, with `force`).
 * @param {{ force?: boolean, log?: (line: string) => void }} [options]
 * @returns {Promise<{ built: boolean, ms: number }>}
 */
export async function buildDist(options = {}) {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  // Taken before reading any source: an edit during the build makes the result stale, not wrong.
  const fingerprint = sourceFingerprint();
  if (!options.force && builtFingerprint() === fingerprint) return { built: false, ms: performance.now() - started };
  const esbuild = loadEsbuild();
  const files = listFiles(SRC_DIR);
  const staging = `${DIST_DIR}.tmp-${process.pid}-${Date.now()}`;
  try {
    await esbuild.build({
      absWorkingDir: SERVER_DIR,
      entryPoints: files.filter((f) => TS_SOURCE.test(f)).map((f) => join(SRC_DIR, f)),
      outbase: SRC_DIR,
      outdir: staging,
      bundle: true,
      packages: "external",
      plugins: [relativeImportsStayExternal, deepPackageImportsGetExtensions],
      platform: "node",
      format: "esm",
      target: "node20",
      keepNames: true,
      logLevel: "error",
    });
    for (const f of files.filter((f) => COPIED.test(f))) {
      mkdirSync(dirname(join(staging, f)), { recursive: true });
      cpSync(join(SRC_DIR, f), join(staging, f));
    }
    writeFileSync(join(staging, STAMP_FILE), `${JSON.stringify({ fingerprint, builtAt: new Date().toISOString() })}\n`);
    swapIn(staging);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const ms = performance.now() - started;
  log(`runnel: built server/dist from server/src in ${Math.round(ms)} ms`);
  return { built: true, ms };
}

/** Replaces dist with `staging` by two renames (the old build is removed afterwards). */
function swapIn(staging) {
  const old = `${DIST_DIR}.old-${process.pid}-${Date.now()}`;
  try {
    renameSync(DIST_DIR, old);
  } catch (err) {
    if (err.code !== "ENOENT") throw err;
  }
  try {
    renameSync(staging, DIST_DIR);
  } catch (err) {
    // Another build swapped its own in between: keep it when it is of the same sources.
    if (builtFingerprint() !== builtFingerprint(staging)) throw err;
  }
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const quiet = args.includes("--quiet");
  await buildDist({ force: args.includes("--force"), log: quiet ? undefined : (l) => console.log(l) }).then(
    (r) => {
      if (!r.built && !quiet) console.log("runnel: server/dist is up to date");
    },
    (err) => {
      console.error(`runnel: building server/dist failed: ${err.message}`);
      process.exit(1);
    },
  );
}
