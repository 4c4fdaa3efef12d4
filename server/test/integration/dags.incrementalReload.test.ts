import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DagRegistry } from "../../src/dags/dagRegistry";
import { getDagRow } from "../../src/store/dags";
import { scratchDags, type ScratchDags } from "../helpers/scratchDags";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

/** Evaluations of each module in this process (the probe thread has its own globalThis). */
const evaluations = (): Record<string, number> => ((globalThis as Record<string, unknown>).__reloadEvaluations ??= {}) as Record<string, number>;
const COUNT = (name: string): string => `((globalThis.__reloadEvaluations ??= {})[${JSON.stringify(name)}] = ((globalThis.__reloadEvaluations ??= {})[${JSON.stringify(name)}] ?? 0) + 1);`;

/** DAG file i: d0..d4 import lib/shared.ts, d5..d6 import lib/other.ts (as "./lib/other.js"), the rest nothing. */
function dagSource(i: number, tag = "v1"): string {
  const helper = i < 5 ? `import { taskIds } from "./lib/shared.ts";\n` : i < 7 ? `import { taskIds } from "./lib/other.js";\n` : `const taskIds = ["t"];\n`;
  return `import { defineDag } from "runnel";
${helper}${COUNT(`d${i}`)}
export default defineDag({ id: "reload_${i}", tags: [${JSON.stringify(tag)}] }, (dag) => {
  for (const id of taskIds) dag.task(id, { run: () => undefined });
});
`;
}
const helperSource = (name: string, ids: string[]): string => `${COUNT(name)}\nexport const taskIds = ${JSON.stringify(ids)};\n`;
const FILES = 20;

describe("DagRegistry reloads what changed", () => {
  let dags: ScratchDags;
  let tdb: TestDatabase;
  let r: DagRegistry;
  const tasksOf = (i: number) => r.get(`reload_${i}`)?.serialized.tasks.map((t) => t.id);

  beforeAll(async () => {
    dags = await scratchDags("reload");
    tdb = await createTestDatabase("dags_reload");
    await dags.write("lib/shared.ts", helperSource("shared", ["a"]));
    await dags.write("lib/other.ts", helperSource("other", ["x"]));
    await dags.write("lib/unused.ts", helperSource("unused", []));
    for (let i = 0; i < FILES; i++) await dags.write(`d${i}.ts`, dagSource(i));
    await dags.write("broken.ts", `import { defineDag } from "runnel";\nthrow new Error("broken on purpose");\n`);
    r = new DagRegistry({ folder: dags.dir, db: tdb.db });
  });
  afterAll(async () => {
    r?.close();
    await tdb?.drop();
    await dags?.remove();
  });

  it("loads every file once at first", async () => {
    expect(await r.refresh()).toEqual({ changed: true });
    expect(r.lastReloaded()).toHaveLength(FILES + 1);
    expect(r.list()).toHaveLength(FILES);
    expect(r.importErrors().map((e) => e.fileloc)).toEqual(["broken.ts"]);
    for (let i = 0; i < FILES; i++) expect(evaluations()[`d${i}`], `d${i}`).toBe(1);
    // A helper is evaluated with each file importing it (a fresh module per DAG file load).
    expect(evaluations().shared).toBe(5);
    expect(evaluations().unused).toBeUndefined();
    expect(await r.refresh()).toEqual({ changed: false });
    expect(r.lastReloaded()).toEqual([]);
  });

  it("an edit of one DAG file imports that file only; the broken file stays an import error", async () => {
    await dags.write("d12.ts", dagSource(12, "v2"));
    expect(await r.refresh()).toEqual({ changed: true });
    expect(r.lastReloaded()).toEqual(["d12.ts"]);
    expect(evaluations().d12).toBe(2);
    for (let i = 0; i < FILES; i++) if (i !== 12) expect(evaluations()[`d${i}`], `d${i}`).toBe(1);
    expect(r.get("reload_12")?.serialized.tags).toEqual(["v2"]);
    expect(r.list()).toHaveLength(FILES);
    expect(r.importErrors().map((e) => e.fileloc)).toEqual(["broken.ts"]);
    expect((await getDagRow(tdb.db, "reload_12"))?.tags).toEqual(["v2"]);
  });

  it("an edit of a shared module reloads exactly the files importing it", async () => {
    await dags.write("lib/shared.ts", helperSource("shared", ["a", "b"]));
    await r.refresh();
    expect(r.lastReloaded()).toEqual(["d0.ts", "d1.ts", "d2.ts", "d3.ts", "d4.ts"]);
    expect(tasksOf(0)).toEqual(["a", "b"]);
    expect(tasksOf(4)).toEqual(["a", "b"]);
    expect(evaluations().d5).toBe(1);

    // Imported as "./lib/other.js": the TypeScript file is still found.
    await dags.write("lib/other.ts", helperSource("other", ["y"]));
    await r.refresh();
    expect(r.lastReloaded()).toEqual(["d5.ts", "d6.ts"]);
    expect(tasksOf(5)).toEqual(["y"]);

    await dags.write("lib/unused.ts", helperSource("unused", ["z"]));
    expect(await r.refresh()).toEqual({ changed: false });
    expect(r.lastReloaded()).toEqual([]);
  });

  it("a deleted file removes its DAG and imports nothing", async () => {
    await unlink(join(dags.dir, "d9.ts"));
    expect(await r.refresh()).toEqual({ changed: true });
    expect(r.lastReloaded()).toEqual([]);
    expect(r.get("reload_9")).toBeUndefined();
    expect(r.list()).toHaveLength(FILES - 1);
    expect((await getDagRow(tdb.db, "reload_9"))?.isActive).toBe(false);
    expect((await getDagRow(tdb.db, "reload_8"))?.isActive).toBe(true);
  });

  it("a file whose imports cannot be told is loaded again on any change", async () => {
    await dags.write("dyn.ts", `import { defineDag } from "runnel";\nconst name = "./lib/shared.ts";\nconst { taskIds } = await import(name);\n${COUNT("dyn")}\nexport default defineDag({ id: "reload_dyn" }, (dag) => { for (const id of taskIds) dag.task(id, { run: () => undefined }); });\n`);
    await r.refresh();
    expect(r.lastReloaded()).toEqual(["dyn.ts"]);
    await dags.write("lib/unused.ts", helperSource("unused", ["w"]));
    await r.refresh();
    expect(r.lastReloaded()).toEqual(["dyn.ts"]);
    expect(evaluations().dyn).toBe(2);
  });
});
