import { cp, mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DagRegistry } from "../../src/dags/dagRegistry";
import { getDagRow, listImportErrors } from "../../src/store/dags";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const SERVER = fileURLToPath(new URL("../../", import.meta.url));
const ZOD = join(SERVER, "node_modules", "zod");
const ID = "fixture_extract_load";

/** A newcomer reusing the id of extract_load.ts; its name sorts before the owner's. */
const DUP_FILE = "dup_extract_load.ts";
const DUP_SOURCE = `import { defineDag } from "runnel";
export default defineDag({ id: "${ID}", schedule: "@hourly", startDate: "2024-01-01" }, (dag) => {
  dag.task("hijack", { run: () => "mine now" });
});
`;

let tdb: TestDatabase;
let dir: string;
const registries: DagRegistry[] = [];

async function makeFolder(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "runnel-owner-"));
  await cp(join(FIXTURES, "dags_good"), root, { recursive: true });
  await writeFile(join(root, "package.json"), JSON.stringify({ name: "owner-test-dags", type: "module" }));
  await mkdir(join(root, "node_modules"));
  await symlink(SERVER, join(root, "node_modules", "runnel"));
  await symlink(ZOD, join(root, "node_modules", "zod"));
  return root;
}

/** A registry as a freshly started process has it: nothing in memory, only the folder and the database. */
function freshRegistry(): DagRegistry {
  const r = new DagRegistry({ folder: dir, db: tdb.db });
  registries.push(r);
  return r;
}

async function expectOwnerKeepsId(r: DagRegistry): Promise<void> {
  const loaded = r.get(ID)!;
  expect(loaded.fileloc).toBe("extract_load.ts");
  expect(loaded.serialized.schedule).toBe("@daily");
  expect(loaded.serialized.tasks.map((t) => t.id)).not.toContain("hijack");
  const dupError = r.importErrors().find((e) => e.fileloc === DUP_FILE);
  expect(dupError?.message).toMatch(new RegExp(`"${ID}".*extract_load\\.ts`));
  expect(r.importErrors().map((e) => e.fileloc)).not.toContain("extract_load.ts");
  expect(await getDagRow(tdb.db, ID)).toMatchObject({ fileloc: "extract_load.ts", schedule: "@daily", isActive: true });
  const stored = await listImportErrors(tdb.db);
  expect(stored.map((e) => e.fileloc)).toEqual([DUP_FILE]);
  expect(stored[0]!.message).toMatch(/extract_load\.ts/);
}

beforeAll(async () => {
  tdb = await createTestDatabase("dag_owner");
});
afterAll(async () => {
  await tdb?.drop();
});
beforeEach(async () => {
  await tdb.db.raw("TRUNCATE dags, dag_versions, dag_import_errors CASCADE");
  dir = await makeFolder();
});
afterEach(async () => {
  for (const r of registries.splice(0)) r.close();
  await rm(dir, { recursive: true, force: true });
});

describe("a DAG id belongs to the file that already owns it", () => {
  it("a new file reusing the id (sorting first) is the import error naming the owner, on reload and after a restart", async () => {
    const r = freshRegistry();
    await r.refresh();
    expect(r.get(ID)!.serialized.schedule).toBe("@daily");

    await writeFile(join(dir, DUP_FILE), DUP_SOURCE);
    expect(await r.refresh()).toEqual({ changed: true });
    await expectOwnerKeepsId(r);

    // A restart: a new registry over the same folder and database, with nothing in memory.
    const restarted = freshRegistry();
    await restarted.refresh();
    await expectOwnerKeepsId(restarted);

    // A worker reads the DAGs without recording them: it resolves the id from the database too.
    const worker = new DagRegistry({ folder: dir, ownersDb: tdb.db });
    registries.push(worker);
    await worker.refresh();
    expect(worker.get(ID)!.fileloc).toBe("extract_load.ts");
    expect(worker.importErrors().map((e) => e.fileloc)).toEqual([DUP_FILE]);
  });

  it("the owner keeps the id while its file exists but fails to load", async () => {
    const r = freshRegistry();
    await r.refresh();
    await writeFile(join(dir, DUP_FILE), DUP_SOURCE);
    await writeFile(join(dir, "extract_load.ts"), 'throw new Error("half-edited");\n');
    await r.refresh();
    expect(r.get(ID)).toBeUndefined();
    const errors = new Map(r.importErrors().map((e) => [e.fileloc, e.message]));
    expect(errors.get("extract_load.ts")).toMatch(/half-edited/);
    expect(errors.get(DUP_FILE)).toMatch(/extract_load\.ts/);
    expect(await getDagRow(tdb.db, ID)).toMatchObject({ fileloc: "extract_load.ts", schedule: "@daily", isActive: false });
  });

  it("once the owner file is gone or renamed, another file may take the id", async () => {
    const r = freshRegistry();
    await r.refresh();
    await writeFile(join(dir, DUP_FILE), DUP_SOURCE);
    await r.refresh();
    await unlink(join(dir, "extract_load.ts"));
    await r.refresh();
    expect(r.get(ID)!.fileloc).toBe(DUP_FILE);
    expect(r.importErrors()).toEqual([]);
    expect(await getDagRow(tdb.db, ID)).toMatchObject({ fileloc: DUP_FILE, schedule: "@hourly", isActive: true });

    // Renaming the owner file gives the id up too: the claimants are then taken in name order.
    await rename(join(dir, DUP_FILE), join(dir, "zz_extract_load.ts"));
    await writeFile(join(dir, "aa_extract_load.ts"), DUP_SOURCE.replace("@hourly", "@weekly"));
    const restarted = freshRegistry();
    await restarted.refresh();
    expect(restarted.get(ID)!.fileloc).toBe("aa_extract_load.ts");
    expect(restarted.importErrors().map((e) => e.fileloc)).toEqual(["zz_extract_load.ts"]);
  });
});
