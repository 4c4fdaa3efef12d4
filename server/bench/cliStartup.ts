/**
 * CLI start-up (issue 11 item 5): wall time of `pnpm runnel --help` and `pnpm runnel dags list`
 * (the repository's example DAGs, a migrated bench database), as a user types them, and of the
 * same through `node server/bin/runnel.mjs` and of `pnpm --version`, to show how much of it is
 * pnpm's own start. One warm-up, then `runs` runs of each, interleaved; medians and ranges.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildDist } from "../bin/buildDist.mjs";
import { distIsCurrent } from "../bin/distState.mjs";
import { BENCH_REDIS_URL, createBenchDatabase } from "./benchDb";
import { percentile, round2 } from "./stats";

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../bin/runnel.mjs", import.meta.url));
const REPO_DAGS = fileURLToPath(new URL("../../dags/", import.meta.url));

/** Median and range of one command's runs, in ms. */
export interface CliTiming {
  p50: number;
  min: number;
  max: number;
  runs: number;
}

/** `results.json` key `cli`: the medians as `helpMs` / `dagsListMs`, the rest for reading them. */
export interface CliStartupResult {
  helpMs: number;
  dagsListMs: number;
  /** The same without pnpm: `node server/bin/runnel.mjs ...`. */
  nodeHelpMs: number;
  nodeDagsListMs: number;
  /** `pnpm --version`: what pnpm alone costs before it runs anything. */
  pnpmVersionMs: number;
  detail: Record<string, CliTiming>;
}

const COMMANDS: Record<string, [string, string[]]> = {
  help: ["pnpm", ["runnel", "--help"]],
  dagsList: ["pnpm", ["runnel", "dags", "list"]],
  nodeHelp: [process.execPath, [BIN, "--help"]],
  nodeDagsList: [process.execPath, [BIN, "dags", "list"]],
  pnpmVersion: ["pnpm", ["--version"]],
};

async function timeOnce(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  await run(file, args, { cwd: REPO_ROOT, env, timeout: 60_000 });
  return performance.now() - t0;
}

/** Times each command `runs` times after one warm-up round (the compiled server is built first). */
export async function measureCliStartup(runs: number, log: (s: string) => void): Promise<CliStartupResult> {
  await buildDist({ log });
  if (!distIsCurrent()) throw new Error("server/dist is not current after building it");
  const db = await createBenchDatabase();
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, REDIS_URL: BENCH_REDIS_URL, RUNNEL_DAGS_FOLDER: REPO_DAGS, npm_config_update_notifier: "false" };
  try {
    await run(process.execPath, [BIN, "migrate"], { cwd: REPO_ROOT, env, timeout: 120_000 });
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(COMMANDS).map((k) => [k, []]));
    for (let round = 0; round <= runs; round++) {
      for (const [key, [file, args]] of Object.entries(COMMANDS)) {
        const ms = await timeOnce(file, args, env);
        if (round > 0) samples[key]!.push(ms);
      }
      if (round > 0) log(`CLI start-up: round ${round}/${runs}`);
    }
    const detail = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, { p50: round2(percentile(v, 50)), min: round2(Math.min(...v)), max: round2(Math.max(...v)), runs: v.length }]),
    ) as Record<string, CliTiming>;
    return {
      helpMs: detail.help!.p50,
      dagsListMs: detail.dagsList!.p50,
      nodeHelpMs: detail.nodeHelp!.p50,
      nodeDagsListMs: detail.nodeDagsList!.p50,
      pnpmVersionMs: detail.pnpmVersion!.p50,
      detail,
    };
  } finally {
    await db.drop();
  }
}

/** The table of the CLI case, and the goal (< 1 s each through pnpm). */
export function printCliStartup(r: CliStartupResult): void {
  console.log(`\nCLI start-up (ms, median [min-max] of ${r.detail.help!.runs})`);
  const row = (label: string, t: CliTiming): void => console.log(`  ${label.padEnd(34)} ${String(Math.round(t.p50)).padStart(6)}  [${Math.round(t.min)}-${Math.round(t.max)}]`);
  row("pnpm runnel --help", r.detail.help!);
  row("pnpm runnel dags list", r.detail.dagsList!);
  row("node server/bin/runnel.mjs --help", r.detail.nodeHelp!);
  row("node server/bin/runnel.mjs dags list", r.detail.nodeDagsList!);
  row("pnpm --version (pnpm alone)", r.detail.pnpmVersion!);
  console.log(`  ${r.helpMs < 1000 && r.dagsListMs < 1000 ? "PASS" : "FAIL"}  pnpm runnel --help and dags list under 1 s`);
}
