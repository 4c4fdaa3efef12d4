/**
 * The scale cases alone (issue 11 item 3), without the rest of `pnpm bench`: the idle scheduler
 * tick at 1,000 and at 10,000 generated DAG files (idleTick.ts: load time, peak RSS, first runs,
 * idle tick p50/max, reload after editing one file). Merges `scale.dags<count>` into
 * server/bench/results.json and keeps every other key.
 *
 *   cd server && npx tsx bench/scale.ts [--dags 1000,10000] [--ticks 20] [--no-write]
 *
 * Options (also as env): --dags (BENCH_SCALE_DAGS, default 1000,10000), --ticks (BENCH_SCALE_TICKS,
 * default 20), --interval MS (the scheduler tick while the first runs run, default 100),
 * --no-write (print only).
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Cleanup } from "./cleanup";
import { describeIdleTick, idleTickFigures, measureIdleTick } from "./idleTick";
import { ISSUE11_GOALS } from "./peersReport";

const RESULTS_PATH = fileURLToPath(new URL("./results.json", import.meta.url));

function positive(raw: string, what: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: { dags: { type: "string" }, ticks: { type: "string" }, interval: { type: "string" }, "no-write": { type: "boolean", default: false } },
    strict: true,
  });
  const counts = (values.dags ?? process.env.BENCH_SCALE_DAGS ?? "1000,10000").split(",").map((s) => positive(s.trim(), "--dags"));
  const ticks = positive(values.ticks ?? process.env.BENCH_SCALE_TICKS ?? "20", "--ticks");
  const intervalMs = positive(values.interval ?? "100", "--interval");
  const cleanup = new Cleanup();
  const started = Date.now();
  const log = (s: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${s}`);
  const onSignal = (): void => {
    console.error("\ninterrupted: cleaning up");
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const figures: Record<string, unknown> = {};
  try {
    for (const dags of counts) {
      const r = await measureIdleTick({ dags, ticks, concurrency: 32, intervalMs }, cleanup, log);
      console.log(`  ${describeIdleTick(r)}`);
      if (dags === 1000) console.log(`  ${r.p50 < ISSUE11_GOALS.idleTickP50Ms ? "PASS" : "FAIL"}  1000-DAG idle tick p50 < ${ISSUE11_GOALS.idleTickP50Ms} ms`);
      figures[`dags${dags}`] = idleTickFigures(r);
    }
  } finally {
    await cleanup.run();
  }
  if (values["no-write"]) return;
  const previous = JSON.parse(await readFile(RESULTS_PATH, "utf8").catch(() => "{}")) as Record<string, unknown>;
  const scale = typeof previous.scale === "object" && previous.scale !== null ? previous.scale : {};
  await writeFile(RESULTS_PATH, `${JSON.stringify({ ...previous, scale: { ...scale, ...figures } }, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS_PATH} (scale.${Object.keys(figures).join(", scale.")})`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
