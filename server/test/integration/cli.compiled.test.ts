import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { distIsCurrent } from "../../bin/distState.mjs";
import { createEngineEnv, REPO_ROOT, RUNNEL_BIN, type EngineEnv } from "../helpers/engine";

// The compiled CLI (server/dist, brought up to date by the test setup) against the TypeScript
// source it was built from: same help, and `dags list` loads TypeScript DAG files importing
// `runnel` through tsx from the compiled server.

const run = promisify(execFile);
const COMPILED_MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const SOURCE_MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const SERVER_DIR = fileURLToPath(new URL("../../", import.meta.url));

type Entry = "compiled" | "source" | "bin";
const ENTRY_ARGS: Record<Entry, string[]> = { compiled: [COMPILED_MAIN], source: ["--import", "tsx", SOURCE_MAIN], bin: [RUNNEL_BIN] };

let env: EngineEnv;
let folder: string;

async function runnel(entry: Entry, extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...ENTRY_ARGS[entry], ...args], { cwd: REPO_ROOT, env: { ...env.childEnv, RUNNEL_DAGS_FOLDER: folder, ...extraEnv }, timeout: 90_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** A DAG folder that resolves `runnel` as the repository's dags/ does (a link to the server package), with `files`. */
async function makeFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "runnel-compiled-dags-"));
  await mkdir(join(dir, "node_modules"));
  await symlink(SERVER_DIR, join(dir, "node_modules", "runnel"), "dir");
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "compiled-cli-dags", private: true, type: "module" }));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const OK_DAG = `import { defineDag, type TaskContext } from "runnel";
import { fileExists } from "runnel/sensors";
const label = (ctx: TaskContext): string => \`day \${ctx.ds}\`;
export default defineDag({ id: "compiled_ok", schedule: "@daily", startDate: "2024-01-01", catchup: false }, (dag) => {
  const landed = dag.sensor("landed", { poke: fileExists("/tmp/none-{ds}"), interval: "1m", timeout: "1h" });
  dag.task("say", { needs: { landed }, run: (ctx) => label(ctx) });
});
`;
const folders: string[] = [];

beforeAll(async () => {
  env = await createEngineEnv("clidist");
  folder = await makeFolder({ "ok.ts": OK_DAG, "broken.ts": `import { helper } from "./lib/notThere";\nexport default helper;\n` });
  folders.push(folder);
});
afterAll(async () => {
  await env?.drop();
  for (const f of folders) await rm(f, { recursive: true, force: true });
});

describe("the compiled runnel CLI", () => {
  it("is what the bin runs, and prints the same help as the source", async () => {
    expect(distIsCurrent()).toBe(true);
    for (const args of [["--help"], ["dags", "--help"], ["dags", "list", "--help"], ["dlq", "replay", "--help"], ["db", "clean", "--help"], ["start", "--help"]]) {
      const [compiled, source, bin] = await Promise.all([runnel("compiled", {}, ...args), runnel("source", {}, ...args), runnel("bin", {}, ...args)]);
      expect(compiled.code, compiled.stderr).toBe(0);
      expect(compiled.stdout).toContain("Usage: runnel");
      expect(source.stdout).toBe(compiled.stdout);
      expect(bin.stdout).toBe(compiled.stdout);
    }
  });

  it("lists a folder's DAGs (one importing runnel and runnel/sensors) and its import errors, as the source does", async () => {
    const [compiled, source] = await Promise.all([runnel("compiled", {}, "dags", "list", "--json"), runnel("source", {}, "dags", "list", "--json")]);
    expect(compiled.code, compiled.stderr).toBe(0);
    const listed = JSON.parse(compiled.stdout) as { dags: unknown[]; importErrors: Array<{ fileloc: string; message: string }> };
    expect(listed.dags).toEqual([{ dagId: "compiled_ok", fileloc: "ok.ts", schedule: "@daily", paused: false, tasks: 2 }]);
    expect(listed.importErrors).toHaveLength(1);
    expect(listed.importErrors[0]!.fileloc).toBe("broken.ts");
    expect(listed.importErrors[0]!.message).toMatch(/notThere/);
    expect(JSON.parse(source.stdout)).toEqual(listed);

    const text = await runnel("bin", {}, "dags", "list");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^compiled_ok\s+@daily\s+active\s+2 tasks\s+ok\.ts$/m);
    expect(text.stdout).toMatch(/^IMPORT ERROR broken\.ts: .*notThere/m);
  });

  it("lists the other DAGs when a file ends its loading thread, naming that file (the careful pass after the one-thread pass)", async () => {
    const exiting = await makeFolder({ "ok.ts": OK_DAG, "exits.ts": `process.exit(3);\nexport default 1;\n` });
    folders.push(exiting);
    const r = await runnel("bin", { RUNNEL_DAGS_FOLDER: exiting }, "dags", "list", "--json");
    expect(r.code, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as { dags: Array<{ dagId: string }>; importErrors: Array<{ fileloc: string; message: string }> };
    expect(listed.dags.map((d) => d.dagId)).toEqual(["compiled_ok"]);
    expect(listed.importErrors).toEqual([{ fileloc: "exits.ts", message: expect.stringMatching(/ended the process while loading/) }]);
  });

  it("lists the DAGs when the database does not answer, saying their paused flags are unknown", async () => {
    const r = await runnel("compiled", { DATABASE_URL: "postgres://postgres@127.0.0.1:1/runnel" }, "dags", "list", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).dags).toEqual([{ dagId: "compiled_ok", fileloc: "ok.ts", schedule: "@daily", paused: null, tasks: 2 }]);
    expect(r.stderr).toContain("paused flags unknown");
  });
});
