import pg from "pg";

/**
 * Runs `fn` and counts the statements every `pg` client of this process sends meanwhile (knex's
 * pool, the hot-path connections, the leader lock's connection): each `Client.query` call is one
 * statement (BEGIN and COMMIT included).
 */
export async function countStatements(fn: () => Promise<unknown>): Promise<{ count: number; texts: string[] }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const texts: string[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0];
    texts.push(typeof q === "string" ? q : String((q as { text?: string } | undefined)?.text ?? q));
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return { count: texts.length, texts };
}
