import type { Knex } from "knex";

/**
 * From here on the PL/pgSQL functions and triggers live as source files in server/src/store/sql/,
 * applied by migrate after the migrations (store/sqlSources.ts); migrations no longer restate them.
 * `sql_sources_applied` is one row: the hash of the sources last applied and of the catalog
 * definitions they produced, so a migrate with nothing changed re-creates nothing (re-creating a
 * constraint trigger locks its table) while a changed file, or a function altered by hand, is
 * applied again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sql_sources_applied (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      sources_sha256 text NOT NULL,
      catalog_md5 text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DROP TABLE IF EXISTS sql_sources_applied");
}
