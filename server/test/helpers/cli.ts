import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { REPO_ROOT, RUNNEL_BIN } from "./engine";

const run = promisify(execFile);

/** What a `runnel` child process printed and how it exited. */
export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `node server/bin/runnel.mjs <args>` from the repo root with `env`; never throws on a non-zero exit. */
export async function runRunnel(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [RUNNEL_BIN, ...args], { cwd: REPO_ROOT, env, timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
