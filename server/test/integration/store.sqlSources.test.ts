import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, migrateLatest } from "../../src/store/db";
import { applySqlSources, readSqlSources, SQL_SOURCES, SQL_SOURCES_DIR } from "../../src/store/sqlSources";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("sqlsrc");
});
afterAll(async () => {
  await t?.drop();
});

/** Every runnel_* function and every user trigger of the migrated schema, as Postgres prints it back. */
async function catalog(): Promise<Map<string, string>> {
  const r = await t.db.raw<{ rows: Array<{ name: string; def: string }> }>(`
    SELECT 'function ' || p.proname AS name, pg_get_functiondef(p.oid) AS def FROM pg_proc p
     WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'runnel\\_%'
    UNION ALL
    SELECT 'trigger ' || t.tgname, pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal`);
  return new Map(r.rows.map((row) => [row.name, row.def]));
}

/** The functions and triggers each source file defines, read from its CREATE statements. */
function definedIn(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/^CREATE (?:OR REPLACE )?(FUNCTION|TRIGGER|CONSTRAINT TRIGGER) (\w+)/gm)) {
    names.push(`${m[1] === "FUNCTION" ? "function" : "trigger"} ${m[2]}`);
  }
  return names;
}

describe("PL/pgSQL as source files (store/sql/)", () => {
  it("every .sql file is applied, and every runnel function and trigger of a migrated database has its source there", async () => {
    const files = (await readdir(SQL_SOURCES_DIR)).filter((f) => f.endsWith(".sql")).sort();
    expect([...SQL_SOURCES].sort()).toEqual(files);
    const sources = await readSqlSources();
    const defined = sources.flatMap((s) => definedIn(s.text));
    expect(new Set(defined).size).toBe(defined.length); // one source per object
    expect(defined.sort()).toEqual([...(await catalog()).keys()].sort());
  });

  it("applying the sources again changes nothing, and a migrate with nothing changed applies nothing", async () => {
    const before = await catalog();
    expect(await migrateLatest(t.db)).toEqual([]);
    await t.db("sql_sources_applied").update({ sources_sha256: "an older version" });
    expect(await migrateLatest(t.db)).toEqual(SQL_SOURCES.map((f) => `sql/${f}`));
    expect(await catalog()).toEqual(before);
  });

  it("a function or trigger changed by hand is back to its source after the next migrate", async () => {
    const before = await catalog();
    await t.db.raw("CREATE OR REPLACE FUNCTION runnel_touch_run() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RETURN NEW; END $fn$");
    await t.db.raw("DROP TRIGGER task_instances_alert ON task_instances");
    expect(await catalog()).not.toEqual(before);
    expect(await migrateLatest(t.db)).toEqual(SQL_SOURCES.map((f) => `sql/${f}`));
    expect(await catalog()).toEqual(before);
  });

  it("an edited source file is applied by the next migrate", async () => {
    const edited = (await readSqlSources()).map((s) =>
      s.name === "runTouch.sql" ? { ...s, text: s.text.replace("NEW.updated_at := clock_timestamp();", "NEW.updated_at := clock_timestamp() + interval '1 second';") } : s,
    );
    expect(edited.find((s) => s.name === "runTouch.sql")!.text).toContain("interval '1 second'");
    expect(await applySqlSources(t.db, edited)).toHaveLength(SQL_SOURCES.length);
    expect((await catalog()).get("function runnel_touch_run")).toContain("interval '1 second'");
    expect(await applySqlSources(t.db, edited)).toEqual([]);
    expect(await migrateLatest(t.db)).toHaveLength(SQL_SOURCES.length); // the files again
    expect((await catalog()).get("function runnel_touch_run")).not.toContain("interval '1 second'");
  });

  it("processes migrating at once apply the sources once, one at a time", async () => {
    await t.db("sql_sources_applied").update({ sources_sha256: "an older version" });
    const pools = [0, 1, 2, 3].map(() => createDb(t.url, { poolMax: 1 }));
    try {
      const applied = await Promise.all(pools.map((p) => applySqlSources(p)));
      expect(applied.filter((a) => a.length > 0)).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((p) => p.destroy()));
    }
  });
});
