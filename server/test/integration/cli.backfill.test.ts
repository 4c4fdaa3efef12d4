import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineEnv, startEngine, type Engine, type EngineEnv } from "../helpers/engine";
import { runRunnel } from "../helpers/cli";

const BACKFILL_DAGS = fileURLToPath(new URL("../fixtures/backfill_dags/", import.meta.url));

let env: EngineEnv;
let engine: Engine;
let childEnv: NodeJS.ProcessEnv;

const runnel = (...args: string[]) => runRunnel(childEnv, ...args);

beforeAll(async () => {
  env = await createEngineEnv("clibf", { dagsFolder: BACKFILL_DAGS });
  childEnv = { ...env.childEnv, RUNNEL_DAGS_FOLDER: BACKFILL_DAGS };
  engine = await startEngine(env.config);
});
afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

describe("runnel backfill", () => {
  it("--dry-run --json prints exactly the plan and changes nothing", async () => {
    const r = await runnel("backfill", "daily_one", "--from", "2024-01-01", "--to", "2024-01-03", "--dry-run", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ create: ["2024-01-01T00:00:00.000Z", "2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"], clear: [], skip: [] });
    expect((await env.db("backfills")).length).toBe(0);
  });

  it("clips a range to the DAG's dates and says which part was outside (stderr with --json)", async () => {
    const r = await runnel("backfill", "daily_one", "--from", "2023-12-30", "--to", "2024-01-02", "--dry-run", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ create: ["2024-01-01T00:00:00.000Z", "2024-01-02T00:00:00.000Z"], clear: [], skip: [] });
    expect(r.stderr).toContain("outside the DAG's dates, not backfilled: 2023-12-30T00:00:00.000Z up to 2024-01-01T00:00:00.000Z (before its startDate 2024-01-01T00:00:00.000Z)");
    const text = await runnel("backfill", "daily_one", "--from", "2024-12-30", "--to", "2025-01-02", "--dry-run");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("not backfilled: after 2024-12-31T00:00:00.000Z up to 2025-01-02T00:00:00.000Z (after its endDate 2024-12-31T00:00:00.000Z)");
    expect(text.stdout).toContain("backfilled range: 2024-12-30T00:00:00.000Z to 2024-12-31T00:00:00.000Z");
    const outside = await runnel("backfill", "daily_one", "--from", "2023-11-01", "--to", "2023-11-05", "--dry-run");
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("lies entirely before the DAG's startDate");
    expect((await env.db("backfills")).length).toBe(0);
  });

  it("refuses bad input with one clear line and exit code 1", async () => {
    const r = await runnel("backfill", "daily_one", "--from", "2024-01-05", "--to", "2024-01-01");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is before from");
    const mode = await runnel("backfill", "daily_one", "--from", "2024-01-01", "--to", "2024-01-02", "--reprocess", "some");
    expect(mode.code).not.toBe(0);
    expect(mode.stderr).toContain("--reprocess");
  });

  it("--wait follows the backfill with progress lines and exits 0, or 1 when a run failed", async () => {
    const ok = await runnel("backfill", "daily_one", "--from", "2024-02-01", "--to", "2024-02-04", "--max-active-runs", "2", "--wait");
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/backfill \d+ of daily_one: 4 to create/);
    expect(ok.stderr).toContain("100% 4/4 done (0 failed)");
    writeFileSync(join(env.scratch, "fail-2024-02-06"), "");
    const bad = await runnel("backfill", "daily_one", "--from", "2024-02-05", "--to", "2024-02-06", "--conf", JSON.stringify({ failDir: env.scratch }), "--wait");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("2/2 done (1 failed)");
    const again = await runnel("backfill", "daily_one", "--from", "2024-02-01", "--to", "2024-02-06", "--reprocess", "failed", "--dry-run", "--json");
    expect(JSON.parse(again.stdout)).toEqual({ create: [], clear: ["2024-02-06T00:00:00.000Z"], skip: ["01", "02", "03", "04", "05"].map((d) => `2024-02-${d}T00:00:00.000Z`) });
  });
});
