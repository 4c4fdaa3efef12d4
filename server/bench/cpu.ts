/**
 * Where the CPU goes during a phase, on this machine: this Node process (process.cpuUsage and
 * event-loop utilization), the Postgres backends serving the bench database (utime+stime from
 * /proc/<pid>/stat), and Redis (INFO cpu: server-wide, so other users of the Redis count too).
 */
import { readFileSync } from "node:fs";
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import { Redis } from "ioredis";
import pg from "pg";

const TICK_MS = 10; // USER_HZ = 100 on Linux

function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
  } catch {
    return undefined;
  }
}

async function backendPids(adminUrl: string, database: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database]);
    return r.rows.map((x) => x.pid);
  } finally {
    await c.end();
  }
}

async function redisCpuMs(redisUrl: string): Promise<number> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 3, connectionName: "runnel-bench-cpu" });
  try {
    const info = await r.info("cpu");
    const user = /used_cpu_user:([\d.]+)/.exec(info)?.[1];
    const sys = /used_cpu_sys:([\d.]+)/.exec(info)?.[1];
    return (Number(user ?? 0) + Number(sys ?? 0)) * 1000;
  } finally {
    r.disconnect();
  }
}

export interface CpuReport {
  wallMs: number;
  nodeMs: number;
  /** Share of wall time the event loop was busy (0..1). */
  eventLoopUtilization: number;
  postgresMs: number;
  redisMs: number;
}

export interface CpuTarget {
  adminUrl: string;
  redisUrl: string;
  /** The bench database (its backends are counted), or undefined for none. */
  database?: string;
}

export class CpuMeter {
  private t0 = 0;
  private node0: NodeJS.CpuUsage = { user: 0, system: 0 };
  private elu0: EventLoopUtilization | undefined;
  private pg0 = new Map<number, number>();
  private redis0 = 0;

  constructor(private readonly target: CpuTarget) {}

  async start(): Promise<void> {
    this.pg0 = new Map();
    if (this.target.database) for (const pid of await backendPids(this.target.adminUrl, this.target.database)) this.pg0.set(pid, procCpuMs(pid) ?? 0);
    this.redis0 = await redisCpuMs(this.target.redisUrl);
    this.elu0 = performance.eventLoopUtilization();
    this.node0 = process.cpuUsage();
    this.t0 = performance.now();
  }

  async stop(): Promise<CpuReport> {
    const wallMs = performance.now() - this.t0;
    const node = process.cpuUsage(this.node0);
    const elu = performance.eventLoopUtilization(this.elu0);
    let postgresMs = 0;
    if (this.target.database) {
      for (const pid of await backendPids(this.target.adminUrl, this.target.database)) postgresMs += (procCpuMs(pid) ?? 0) - (this.pg0.get(pid) ?? 0);
    }
    const redisMs = (await redisCpuMs(this.target.redisUrl)) - this.redis0;
    return { wallMs, nodeMs: (node.user + node.system) / 1000, eventLoopUtilization: elu.utilization, postgresMs, redisMs };
  }
}
