import pg from "pg";
import { WAKE_CHANNEL, wakePayload, wakeReasonOf, type WakeReason } from "../model/schedulerWake";
import type { Logger } from "../obs/logger";
import type { Db } from "../store/db";
import { withConn } from "../store/pgConn";

/**
 * Wake, don't wait: whoever creates work a scheduler must start (a manual run, a backfill) calls
 * `wakeSchedulers` after its commit, and every scheduler process holds a `WakeListener` that
 * pokes its loop on the notification. The loop's interval tick stays the fallback: a lost
 * notification (listener reconnecting, NOTIFY failed) costs at most one interval.
 */

/** Schedulers running in this process, by the Db handle they share with the API (runnel start). */
const localSchedulers = new WeakMap<Db, Set<(reason: WakeReason) => void>>();

/** Registers a scheduler of this process so triggers on `db` poke it directly; returns the unregister. */
export function pokeOnLocalWake(db: Db, poke: (reason: WakeReason) => void): () => void {
  let set = localSchedulers.get(db);
  if (!set) localSchedulers.set(db, (set = new Set()));
  set.add(poke);
  return () => set.delete(poke);
}

/**
 * Wakes every scheduler: this process's own at once, the others through `NOTIFY` (one round
 * trip). Call it after the commit of the work: a scheduler woken earlier would not see it. Never
 * throws: the work is committed, and a scheduler finds it on its next tick anyway.
 * @returns whether the NOTIFY was sent.
 */
export async function wakeSchedulers(db: Db, reason: WakeReason, subject = ""): Promise<boolean> {
  for (const poke of localSchedulers.get(db) ?? []) poke(reason);
  try {
    await withConn(db, (conn) => conn.query("SELECT pg_notify($1, $2)", [WAKE_CHANNEL, wakePayload(reason, subject)]));
    return true;
  } catch {
    return false;
  }
}

export interface WakeListenerOptions {
  databaseUrl: string;
  /** Called for every notification (and once after a reconnect, for what was sent meanwhile). */
  onWake: (reason: WakeReason) => void;
  log: Logger;
  /** First reconnect delay, doubled up to `maxBackoffMs`. Defaults 100 ms and 5 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * One dedicated connection LISTENing on `WAKE_CHANNEL` (a pooled one cannot: LISTEN belongs to
 * the session). node-postgres emits each `NOTIFY` as a `notification` event. When the
 * connection drops (Postgres restart, `pg_terminate_backend`), it reconnects with exponential
 * backoff and then wakes once, since notifications sent while it was away are lost.
 */
export class WakeListener {
  /** The connection being opened or listening; undefined while waiting to reconnect or stopped. */
  private client: pg.Client | undefined;
  private isListening = false;
  private stopped = false;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly opts: WakeListenerOptions) {
    this.backoffMs = opts.minBackoffMs ?? 100;
  }

  /** Whether LISTEN is in effect right now. */
  get listening(): boolean {
    return this.isListening;
  }

  /** Opens the connection; resolves once listening or after the first failure (it keeps retrying). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect(false);
  }

  /** Resolves when LISTEN is in effect (at once if it is). */
  whenListening(): Promise<void> {
    return this.isListening ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  private async connect(reconnect: boolean): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: "runnel-wake", keepAlive: true });
    this.client = client;
    client.on("notification", (msg) => {
      if (msg.channel === WAKE_CHANNEL) this.opts.onWake(wakeReasonOf(msg.payload));
    });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${WAKE_CHANNEL}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return; // lost or stopped meanwhile
    this.isListening = true;
    this.backoffMs = this.opts.minBackoffMs ?? 100;
    for (const resolve of this.waiters.splice(0)) resolve();
    if (reconnect) {
      this.opts.log.info("scheduler wake: listening again");
      this.opts.onWake(wakeReasonOf(undefined));
    }
  }

  /** The connection `client` failed or ended: drop it and, unless stopped, reconnect after the backoff. */
  private lost(client: pg.Client, err?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.isListening = false;
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(delay * 2, this.opts.maxBackoffMs ?? 5000);
    this.opts.log.warn({ err, retryInMs: delay }, "scheduler wake: LISTEN connection lost; the interval tick covers until it is back");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.connect(true);
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = undefined;
    this.isListening = false;
    if (c) await c.end().catch(() => undefined);
  }
}
