import { BENCH_REDIS_URL, benchPrefix, deleteKeysWithPrefix, type BenchDatabase } from "./benchDb";

/** Everything that must be removed at the end, even after a failure or Ctrl-C. */
export class Cleanup {
  db: BenchDatabase | undefined;
  /** The API scale and backfill phases' own databases. */
  apiDb: BenchDatabase | undefined;
  backfillDb: BenchDatabase | undefined;
  /** The peers phase's databases (Runnel's, graphile-worker's, the 1,000-DAG folder's). */
  readonly peerDbs: BenchDatabase[] = [];
  readonly prefixes: string[] = [];
  private done = false;

  prefix(label: string): string {
    const p = benchPrefix(label);
    this.prefixes.push(p);
    return p;
  }

  async run(): Promise<void> {
    if (this.done) return;
    this.done = true;
    for (const db of [this.db, this.apiDb, this.backfillDb, ...this.peerDbs]) await db?.drop().catch((err: unknown) => console.error(`could not drop bench database ${db.name}: ${(err as Error).message}`));
    await deleteKeysWithPrefix(BENCH_REDIS_URL, this.prefixes).catch((err: unknown) => console.error(`could not delete bench Redis keys: ${(err as Error).message}`));
  }
}
