/**
 * Profiling aids for `pnpm bench --profile`: per-statement SQL timings and the Redis commands
 * this process sends, both counted at the driver (pg, ioredis) so every caller is seen.
 */
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import pg from "pg";

export interface StatementStat {
  statement: string;
  count: number;
  totalMs: number;
  meanMs: number;
}

/** A short, stable label for a SQL statement: its head and its tail. */
function label(sql: string): string {
  const s = sql.replace(/\s+/g, " ").replace(/\$\d+/g, "?").trim();
  return s.length <= 110 ? s : `${s.slice(0, 75)} … ${s.slice(-30)}`;
}

type ClientQuery = (this: pg.Client, ...args: unknown[]) => unknown;

/**
 * Times every statement this process sends to Postgres, whatever sends it (knex, or plain pg
 * on the hot path), by patching pg.Client.prototype.query while started: time from the call to
 * the response, so it includes the round trip, the server's work and any wait for a lock.
 * Profiling only.
 */
export class SqlProfiler {
  private original: ClientQuery | undefined;
  private readonly stats = new Map<string, { count: number; totalMs: number }>();

  start(): void {
    const proto = pg.Client.prototype as unknown as { query: ClientQuery };
    const original = proto.query;
    this.original = original;
    const stats = this.stats;
    const record = (key: string, t0: number): void => {
      const s = stats.get(key) ?? { count: 0, totalMs: 0 };
      s.count++;
      s.totalMs += performance.now() - t0;
      stats.set(key, s);
    };
    proto.query = function (this: pg.Client, ...args: unknown[]): unknown {
      const first = args[0];
      const text = typeof first === "string" ? first : typeof first === "object" && first !== null && "text" in first ? String((first as { text: unknown }).text) : undefined;
      if (text === undefined) return original.apply(this, args);
      const key = label(text);
      const t0 = performance.now();
      const last = args[args.length - 1];
      if (typeof last === "function") {
        const cb = last as (...a: unknown[]) => unknown;
        args[args.length - 1] = (...a: unknown[]): unknown => {
          record(key, t0);
          return cb(...a);
        };
        return original.apply(this, args);
      }
      const result = original.apply(this, args);
      if (result instanceof Promise) result.then(() => record(key, t0), () => record(key, t0));
      return result;
    };
  }

  stop(): StatementStat[] {
    if (this.original) (pg.Client.prototype as unknown as { query: ClientQuery }).query = this.original;
    this.original = undefined;
    return [...this.stats.entries()]
      .map(([statement, s]) => ({ statement, count: s.count, totalMs: s.totalMs, meanMs: s.totalMs / s.count }))
      .sort((a, b) => b.totalMs - a.totalMs);
  }
}

interface CommandLike {
  name?: string;
  args?: unknown[];
}
interface ScriptHolder {
  scriptsSet?: Record<string, { sha?: string }>;
}
type SendCommand = (this: Redis, command: CommandLike, ...rest: unknown[]) => unknown;

/**
 * Counts the Redis commands this process sends (every ioredis client, pipelines included),
 * naming BullMQ's Lua scripts instead of "evalsha". Patches Redis.prototype.sendCommand while
 * started; profiling only.
 */
export class RedisCommandCounter {
  private original: SendCommand | undefined;
  readonly calls = new Map<string, number>();
  private readonly shaNames = new Map<string, string>();

  start(): void {
    const proto = Redis.prototype as unknown as { sendCommand: SendCommand };
    const original = proto.sendCommand;
    this.original = original;
    const counter = this.calls;
    const shaNames = this.shaNames;
    proto.sendCommand = function (this: Redis, command: CommandLike, ...rest: unknown[]): unknown {
      let name = command.name ?? "?";
      if (name === "evalsha") {
        const sha = String(command.args?.[0] ?? "");
        let script = shaNames.get(sha);
        if (!script) {
          const set = (this as unknown as ScriptHolder).scriptsSet ?? {};
          for (const [n, s] of Object.entries(set)) if (s.sha) shaNames.set(s.sha, n);
          script = shaNames.get(sha);
        }
        name = `evalsha ${script ?? sha.slice(0, 8)}`;
      }
      counter.set(name, (counter.get(name) ?? 0) + 1);
      return original.call(this, command, ...rest);
    };
  }

  stop(): [string, number][] {
    if (this.original) (Redis.prototype as unknown as { sendCommand: SendCommand }).sendCommand = this.original;
    this.original = undefined;
    return [...this.calls.entries()].sort((a, b) => b[1] - a[1]);
  }
}
