import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskContext } from "../../src/sdk/types";
import { DagFolderError, loadDagFolder, type DagFolderSnapshot } from "../../src/dags/dagFolder";
import { loadDagFile } from "../../src/dags/loadDagFile";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const REAL_DAGS = fileURLToPath(new URL("../../../dags/", import.meta.url));

function messageOf(snapshot: DagFolderSnapshot, fileloc: string): string {
  const found = snapshot.errors.filter((e) => e.fileloc === fileloc);
  expect(found, `exactly one import error for ${fileloc}`).toHaveLength(1);
  return found[0]!.message;
}

describe("loadDagFolder: a good folder", () => {
  let snapshot: DagFolderSnapshot;
  beforeAll(async () => {
    snapshot = await loadDagFolder(join(FIXTURES, "dags_good"));
  });

  it("loads both DAGs and skips helpers, declarations and underscore files", () => {
    expect(snapshot.errors).toEqual([]);
    expect(snapshot.files).toEqual(["extract_load.ts", "manual_report.ts"]);
    expect([...snapshot.dags.keys()].sort()).toEqual(["fixture_extract_load", "fixture_manual_report"]);
  });

  it("serializes the graph with defaults, durations and the params schema", () => {
    const loaded = snapshot.dags.get("fixture_extract_load")!;
    expect(loaded.fileloc).toBe("extract_load.ts");
    expect(loaded.path).toBe(join(FIXTURES, "dags_good", "extract_load.ts"));
    expect(loaded.source).toContain('id: "fixture_extract_load"');
    expect(loaded.versionHash).toMatch(/^[0-9a-f]{64}$/);
    const g = loaded.serialized;
    expect(g).toMatchObject({ schedule: "@daily", timezone: "Europe/Amsterdam", startDate: "2024-01-01", catchup: true, maxActiveRuns: 4 });
    expect(g.tags).toEqual(["fixture", "orders"]);
    expect(g.tasks.map((t) => [t.id, t.upstream])).toEqual([
      ["wait_for_file", []],
      ["extract", ["wait_for_file"]],
      ["load", ["extract"]],
    ]);
    expect(g.tasks[0]).toMatchObject({ kind: "sensor", retries: 3, retryDelayMs: 10_000, backoff: "fixed", sensor: { mode: "poke", intervalMs: 30_000 } });
    expect(g.tasks[2]).toMatchObject({ retries: 0, timeoutMs: 300_000, priorityWeight: 5, inputs: ["warehouse.raw_orders"] });
    expect((g.paramsSchema as { properties: Record<string, unknown> }).properties).toHaveProperty("region");
  });

  it("keeps the task functions, which run with the upstream outputs", async () => {
    const dag = snapshot.dags.get("fixture_extract_load")!.dag;
    const ctx = { params: { region: "us" }, upstream: { ready: true } } as unknown as TaskContext<never, never>;
    expect(await dag.tasks.get("extract")!.run(ctx)).toEqual({ rows: 3, region: "us", ready: true });
    const load = { upstream: { extract: { rows: 3 } } } as unknown as TaskContext<never, never>;
    expect(await dag.tasks.get("load")!.run(load)).toEqual({ loaded: 6 });
  });

  it("builds a DAG from a helper module in a subfolder", () => {
    const report = snapshot.dags.get("fixture_manual_report")!;
    expect(report.serialized.schedule).toBeNull();
    expect(report.serialized.tasks.map((t) => t.id)).toEqual(["collect", "render"]);
  });
});

describe("reloading", () => {
  it("re-evaluates the DAG file but shares node_modules between loads", async () => {
    const path = join(FIXTURES, "dags_good", "extract_load.ts");
    const [a, b] = await Promise.all([loadDagFile(path), loadDagFile(path)]);
    if (!a.ok || !b.ok) throw new Error("fixture failed to load");
    expect(a.dag.dag).not.toBe(b.dag.dag);
    expect(a.dag.versionHash).toBe(b.dag.versionHash);
    expect(Object.getPrototypeOf(a.dag.dag.options.params)).toBe(Object.getPrototypeOf(b.dag.dag.options.params));
  });
});

describe("loadDagFolder: broken files", () => {
  let snapshot: DagFolderSnapshot;
  beforeAll(async () => {
    snapshot = await loadDagFolder(join(FIXTURES, "dags_broken"));
  });

  it("still loads the good DAG, and every other file is exactly one import error", () => {
    expect([...snapshot.dags.keys()]).toEqual(["fixture_good_one"]);
    expect(snapshot.dags.get("fixture_good_one")!.fileloc).toBe("good_one.ts");
    expect(snapshot.errors.map((e) => e.fileloc).sort()).toEqual(snapshot.files.filter((f) => f !== "good_one.ts").sort());
    for (const e of snapshot.errors) {
      expect(e.message.split("\n").length, e.message).toBeLessThanOrEqual(4);
      expect(e.message).not.toMatch(/node:internal|tsx-namespace/);
    }
  });

  it.each([
    ["syntax_error.mjs", /^Compile error: .*syntax_error\.mjs:5:\d+: ERROR: /],
    ["throws_at_import.ts", /^environment variable RUNNEL_FIXTURE_BUCKET_NEVER_SET is not set\n {4}at .*throws_at_import\.ts:\d+:\d+$/],
    ["named_export_only.ts", /^exports no DAG: default-export the result of defineDag\(\.\.\.\) \(found a DAG in the named export "dag"\)$/],
    ["not_a_dag.ts", /^exports no DAG: default-export the result of defineDag\(\.\.\.\)$/],
    ["duplicate_task.ts", /^DAG fixture_duplicate_task: task id "extract" is used twice\n {4}at .*duplicate_task\.ts:\d+:\d+$/],
    ["later_copy_of_good_one.ts", /^DAG id "fixture_good_one" is already defined in good_one\.ts/],
    ["bad_schedule.ts", /^DAG "fixture_bad_schedule": .*every day at noon/],
    ["bad_timezone.ts", /^DAG "fixture_bad_timezone": .*Mars\/Olympus_Mons/],
    ["bad_start_date.ts", /^DAG "fixture_bad_start_date": .*2024-13-45/],
    ["bad_limits.ts", /^DAG "fixture_bad_limits" has 2 problems:\n {2}- maxActiveRuns must be a positive integer, got 0\n {2}- maxActiveTasks must be a positive integer, got 2.5$/],
    ["bad_duration.js", /^DAG "fixture_bad_duration": defaults\.retryDelay: cannot read "5 minutes"/],
    ["bad_params.js", /^DAG "fixture_bad_params": params must be a zod schema/],
    [
      "bad_check.js",
      new RegExp(
        [
          String.raw`^DAG "fixture_bad_check" has 3 problems:`,
          String.raw`  - check "orders_quality": expect\[0\] \(rowCount\): min \(10\) is greater than max \(5\)`,
          String.raw`  - check "orders_quality": expect\[1\]: unknown kind "nullRate" \(one of rowCount, nullRatio, .*\)`,
          String.raw`  - check "orders_quality": expect\[2\] \(freshness\): within: cannot read "2 days" \(use e\.g\. 500ms, 30s, 10m, 2h, 1d\)$`,
        ].join("\n"),
      ),
    ],
  ])("%s", (fileloc, message) => {
    expect(messageOf(snapshot, fileloc)).toMatch(message);
  });
});

describe("loading edge cases", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runnel-dags-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a missing folder is a clear error", async () => {
    await expect(loadDagFolder(join(dir, "nope"))).rejects.toThrow(DagFolderError);
    await expect(loadDagFolder(join(dir, "nope"))).rejects.toThrow(/DAG folder .*nope does not exist \(set RUNNEL_DAGS_FOLDER/);
  });

  it("a missing file is an import error, not a throw", async () => {
    const result = await loadDagFile(join(dir, "gone.ts"), { fileloc: "gone.ts" });
    expect(result).toMatchObject({ ok: false, error: { fileloc: "gone.ts", message: expect.stringMatching(/ENOENT/) } });
  });

  it("a TypeScript file that does not compile gives esbuild's message with file:line", async () => {
    await writeFile(join(dir, "broken.ts"), "const x: number = ;\nexport default x;\n");
    const result = await loadDagFile(join(dir, "broken.ts"), { fileloc: "broken.ts" });
    expect(result).toMatchObject({ ok: false, error: { fileloc: "broken.ts", message: expect.stringMatching(/^Compile error: .*broken\.ts:1:18: ERROR: Unexpected ";"$/) } });
  });

  it("a file whose import never settles times out as an import error", async () => {
    await writeFile(join(dir, "hangs.mjs"), "await new Promise(() => {});\nexport default 1;\n");
    const result = await loadDagFile(join(dir, "hangs.mjs"), { timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, error: { message: expect.stringMatching(/did not finish loading within 200 ms/) } });
  });

  it("a file that loops forever at its top level becomes an import error, and this process keeps loading others", async () => {
    await writeFile(join(dir, "spins.mjs"), "let n = 0;\nwhile (true) n++;\nexport default n;\n");
    await writeFile(join(dir, "fine.mjs"), "export const answer = 42;\n");
    const spun = await loadDagFile(join(dir, "spins.mjs"), { fileloc: "spins.mjs", timeoutMs: 500 });
    expect(spun).toMatchObject({ ok: false, error: { fileloc: "spins.mjs", message: expect.stringMatching(/did not finish loading within 500 ms \(an endless loop at its top level/) } });
    // The stopped thread is replaced: the next file loads (and is judged) normally.
    const next = await loadDagFile(join(dir, "fine.mjs"), { fileloc: "fine.mjs" });
    expect(next).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^exports no DAG/) } });
  });

  it("a file that exits the process while loading becomes an import error instead of ending this process", async () => {
    await writeFile(join(dir, "quits.mjs"), "process.exit(3);\nexport default 1;\n");
    const result = await loadDagFile(join(dir, "quits.mjs"), { fileloc: "quits.mjs" });
    expect(result).toMatchObject({ ok: false, error: { fileloc: "quits.mjs", message: expect.stringMatching(/exit code 3.*a DAG file must not exit/) } });
  });
});

describe("the example DAGs in dags/", () => {
  it("load without import errors", async (ctx) => {
    const files = (await readdir(REAL_DAGS)).filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.endsWith(".d.ts"));
    if (files.length === 0) ctx.skip(true, "dags/ holds no DAG files yet (example DAGs are being written)");
    const snapshot = await loadDagFolder(REAL_DAGS);
    expect(snapshot.errors).toEqual([]);
    expect(snapshot.dags.size).toBeGreaterThan(0);
  });
});
