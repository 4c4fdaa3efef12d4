import pg from "pg";

/** Advisory lock key of the scheduler leader (run creation, reconciler). */
export const LEADER_LOCK_KEY = 0x52554e4e; // "RUNN"

/**
 * Leader election with a session-level `pg_try_advisory_lock` on a dedicated connection: the
 * lock lives as long as the connection, so a crashed leader's lock is released by Postgres.
 */
export class LeaderLock {
  private client: pg.Client | undefined;
  private leader = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly key = LEADER_LOCK_KEY,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /** Tries to become (or confirms it still is) the leader. */
  async acquire(): Promise<boolean> {
    try {
      if (!this.client) {
        const client = new pg.Client({ connectionString: this.databaseUrl, application_name: "runnel-leader" });
        client.on("error", () => this.drop());
        await client.connect();
        this.client = client;
      }
      if (this.leader) {
        await this.client.query("SELECT 1");
        return true;
      }
      const r = await this.client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [this.key]);
      this.leader = r.rows[0]?.ok === true;
    } catch {
      this.drop();
    }
    return this.leader;
  }

  private drop(): void {
    this.leader = false;
    const c = this.client;
    this.client = undefined;
    void c?.end().catch(() => undefined);
  }

  async release(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.leader = false;
    if (c) await c.end().catch(() => undefined);
  }
}
