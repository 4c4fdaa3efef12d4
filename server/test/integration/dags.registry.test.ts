import { cp, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { DagRegistry } from "../../src/dags/dagRegistry";
import { loadDagFolder } from "../../src/dags/dagFolder";
import { getDagRow, getDagVersion, listDagRows, listDagVersions, listImportErrors, setDagPaused, syncDagSnapshot } from "../../src/store/dags";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const SERVER = fileURLToPath(new URL("../../", import.meta.url));
const ZOD = join(SERVER, "node_modules", "zod");

let tdb: TestDatabase;
let dir: string;
const registries: DagRegistry[] = [];

/** A private, writable copy of the good fixture folder plus one broken file, laid out like a real dags/ folder. */
async function makeFolder(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "runnel-registry-"));
  await cp(join(FIXTURES, "dags_good"), root, { recursive: true });
  await cp(join(FIXTURES, "dags_broken", "throws_at_import.ts"), join(root, "throws_at_import.ts"));
  await writeFile(join(root, "package.json"), JSON.stringify({ name: "registry-test-dags", type: "module" }));
  await mkdir(join(root, "node_modules"));
  await symlink(SERVER, join(root, "node_modules", "runnel"));
  await symlink(ZOD, join(root, "node_modules", "zod"));
  return root;
}

function registry(): DagRegistry {
  const r = new DagRegistry({ folder: dir, db: tdb.db });
  registries.push(r);
  return r;
}

async function edit(file: string, from: string | RegExp, to: string): Promise<void> {
  const path = join(dir, file);
  const before = await readFile(path, "utf8");
  const after = before.replace(from, to);
  expect(after, `edit of ${file} changed nothing`).not.toBe(before);
  await writeFile(path, after);
}

const countVersions = async (dagId: string) => (await listDagVersions(tdb.db, dagId)).length;

beforeAll(async () => {
  tdb = await createTestDatabase("dags_registry");
});
afterAll(async () => {
  await tdb.drop();
});
beforeEach(async () => {
  await tdb.db.raw("TRUNCATE dags, dag_versions, dag_import_errors CASCADE");
  dir = await makeFolder();
});
afterEach(async () => {
  for (const r of registries.splice(0)) r.close();
  await rm(dir, { recursive: true, force: true });
});

describe("DagRegistry with a database", () => {
  it("loads the folder and writes dags, versions and import errors", async () => {
    const r = registry();
    expect(await r.refresh()).toEqual({ changed: true });
    expect(r.list().map((d) => d.dag.id)).toEqual(["fixture_extract_load", "fixture_manual_report"]);
    expect(r.importErrors()).toEqual([{ fileloc: "throws_at_import.ts", message: expect.stringMatching(/is not set/) }]);

    const rows = await listDagRows(tdb.db);
    expect(rows.map((d) => [d.dagId, d.fileloc, d.isActive, d.isPaused])).toEqual([
      ["fixture_extract_load", "extract_load.ts", true, false],
      ["fixture_manual_report", "manual_report.ts", true, false],
    ]);
    expect(rows[0]).toMatchObject({ schedule: "@daily", timezone: "Europe/Amsterdam", description: "Extracts orders and loads them", tags: ["fixture", "orders"] });
    for (const row of rows) expect(row.latestVersionId).toBe(r.versionId(row.dagId));

    const version = await getDagVersion(tdb.db, r.versionId("fixture_extract_load")!);
    expect(version).toMatchObject({ dagId: "fixture_extract_load", fileloc: "extract_load.ts", versionHash: r.get("fixture_extract_load")!.versionHash });
    expect(version!.graph).toEqual(r.get("fixture_extract_load")!.serialized);
    expect(version!.source).toBe(await readFile(join(dir, "extract_load.ts"), "utf8"));

    expect(await listImportErrors(tdb.db)).toEqual([{ fileloc: "throws_at_import.ts", message: r.importErrors()[0]!.message, createdAt: expect.any(Date) }]);
  });

  it("adds no version when nothing changed, in this process or another", async () => {
    const a = registry();
    await a.refresh();
    const firstId = a.versionId("fixture_extract_load");
    expect(await a.refresh()).toEqual({ changed: false });
    const b = registry();
    expect(await b.refresh()).toEqual({ changed: true });
    expect(b.versionId("fixture_extract_load")).toBe(firstId);
    expect(await countVersions("fixture_extract_load")).toBe(1);
    expect(await countVersions("fixture_manual_report")).toBe(1);
  });

  it("a changed graph becomes a new version and the DAG's latest", async () => {
    const r = registry();
    await r.refresh();
    const before = r.versionId("fixture_extract_load")!;
    await edit("extract_load.ts", "maxActiveRuns: 4", "maxActiveRuns: 2");
    expect(await r.refresh()).toEqual({ changed: true });
    const after = r.versionId("fixture_extract_load")!;
    expect(after).not.toBe(before);
    expect(r.get("fixture_extract_load")!.serialized.maxActiveRuns).toBe(2);
    expect((await getDagRow(tdb.db, "fixture_extract_load"))!.latestVersionId).toBe(after);
    expect((await getDagVersion(tdb.db, before))!.graph.maxActiveRuns).toBe(4);
    expect(r.versionId("fixture_manual_report")).toBeDefined();
    expect(await countVersions("fixture_manual_report")).toBe(1);
  });

  it("picks up a change to a helper module in a subfolder", async () => {
    const r = registry();
    await r.refresh();
    const before = r.versionId("fixture_manual_report");
    await edit(join("lib", "naming.ts"), '["collect", "render"]', '["collect", "render", "publish"]');
    expect(await r.refresh()).toEqual({ changed: true });
    expect(r.get("fixture_manual_report")!.serialized.tasks.map((t) => t.id)).toEqual(["collect", "render", "publish"]);
    expect(r.versionId("fixture_manual_report")).not.toBe(before);
    expect(await countVersions("fixture_manual_report")).toBe(2);
  });

  it("fixing a broken file removes its import error and adds its DAG", async () => {
    const r = registry();
    await r.refresh();
    expect(await listImportErrors(tdb.db)).toHaveLength(1);
    await edit("throws_at_import.ts", 'requireEnv("RUNNEL_FIXTURE_BUCKET_NEVER_SET")', '"fixed-bucket"');
    await r.refresh();
    expect(r.importErrors()).toEqual([]);
    expect(await listImportErrors(tdb.db)).toEqual([]);
    expect(await r.get("fixture_throws")!.dag.tasks.get("use_bucket")!.run({} as never)).toBe("fixed-bucket");
    expect((await getDagRow(tdb.db, "fixture_throws"))!.isActive).toBe(true);
  });

  it("an import error keeps its time while its message stays the same", async () => {
    const r = registry();
    await r.refresh();
    const [first] = await listImportErrors(tdb.db);
    await writeFile(join(dir, "another.ts"), "export const notADag = 1;\n");
    await r.refresh();
    const again = await listImportErrors(tdb.db);
    expect(again.map((e) => e.fileloc)).toEqual(["another.ts", "throws_at_import.ts"]);
    expect(again[1]!.createdAt).toEqual(first!.createdAt);
    await edit("throws_at_import.ts", "RUNNEL_FIXTURE_BUCKET_NEVER_SET", "RUNNEL_FIXTURE_OTHER_NEVER_SET");
    await r.refresh();
    const changed = (await listImportErrors(tdb.db)).find((e) => e.fileloc === "throws_at_import.ts")!;
    expect(changed.message).toMatch(/RUNNEL_FIXTURE_OTHER_NEVER_SET/);
    expect(changed.createdAt.getTime()).toBeGreaterThan(first!.createdAt.getTime());
  });

  it("a removed file marks its DAG inactive, keeps it paused, and a restored file reactivates it", async () => {
    const r = registry();
    await r.refresh();
    expect(await setDagPaused(tdb.db, "fixture_manual_report", true)).toBe(true);
    await unlink(join(dir, "manual_report.ts"));
    expect(await r.refresh()).toEqual({ changed: true });
    expect(r.get("fixture_manual_report")).toBeUndefined();
    expect(await getDagRow(tdb.db, "fixture_manual_report")).toMatchObject({ isActive: false, isPaused: true });
    expect((await getDagRow(tdb.db, "fixture_extract_load"))!.isActive).toBe(true);
    await cp(join(FIXTURES, "dags_good", "manual_report.ts"), join(dir, "manual_report.ts"));
    await r.refresh();
    expect(await getDagRow(tdb.db, "fixture_manual_report")).toMatchObject({ isActive: true, isPaused: true });
    expect(await countVersions("fixture_manual_report")).toBe(1);
  });

  it("watch() reloads a changed file without a manual refresh", async () => {
    const r = registry();
    await r.refresh();
    r.watch(50);
    await edit("extract_load.ts", "maxActiveRuns: 4", "maxActiveRuns: 3");
    await vi.waitFor(async () => expect((await getDagVersion(tdb.db, r.versionId("fixture_extract_load")!))!.graph.maxActiveRuns).toBe(3), {
      timeout: 10_000,
      interval: 50,
    });
  });

  it("watch() reports a failed refresh to onError and keeps the loaded DAGs", async () => {
    const errors: unknown[] = [];
    const r = new DagRegistry({ folder: dir, onError: (e) => errors.push(e) });
    registries.push(r);
    await r.refresh();
    await rm(dir, { recursive: true, force: true });
    r.watch(20);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 5_000, interval: 20 });
    expect(String(errors[0])).toMatch(/does not exist/);
    expect(r.get("fixture_extract_load")).toBeDefined();
  });
});

describe("syncDagSnapshot", () => {
  it("two concurrent syncs of the same snapshot neither fail nor duplicate", async () => {
    const snapshot = await loadDagFolder(dir);
    const results = await Promise.all([1, 2, 3, 4].map(() => syncDagSnapshot(tdb.db, snapshot)));
    for (const ids of results) expect(ids).toEqual(results[0]);
    expect(await countVersions("fixture_extract_load")).toBe(1);
    expect(await countVersions("fixture_manual_report")).toBe(1);
    expect(await listImportErrors(tdb.db)).toHaveLength(1);
  });

  it("two registries refreshing at once converge on one version per DAG", async () => {
    const [a, b] = [registry(), registry()];
    await Promise.all([a.refresh(), b.refresh()]);
    expect(a.versionId("fixture_extract_load")).toBe(b.versionId("fixture_extract_load"));
    expect((await listDagRows(tdb.db)).every((d) => d.latestVersionId === a.versionId(d.dagId))).toBe(true);
  });

  it("setDagPaused says false for an unknown DAG", async () => {
    expect(await setDagPaused(tdb.db, "no_such_dag", true)).toBe(false);
  });
});
