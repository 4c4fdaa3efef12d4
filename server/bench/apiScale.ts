/**
 * The API scale phase of `pnpm bench` (issue 3, "Scale"): in a fresh database, syncs the bench
 * DAGs, seeds 10,000 runs x 20 tasks of `bench_wide` straight into the store tables
 * (seedRuns.ts), starts the real HTTP app on an ephemeral port with a viewer's API token, and
 * times sequential requests to the grid, runs, DAG detail and DAG list endpoints (client side:
 * request sent to JSON body parsed).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../src/api/app";
import { hashPassword, hashToken, randomSecret } from "../src/api/auth/secrets";
import { encodeCursor } from "../src/api/http";
import { loadConfig } from "../src/config/config";
import { Runtime } from "../src/runtime/runtime";
import { createApiToken, createUser } from "../src/store/users";
import type { BenchDatabase } from "./benchDb";
import { BENCH_DAGS_FOLDER } from "./runnelHarness";
import { seedRuns, type SeededRuns } from "./seedRuns";
import { percentile, round2 } from "./stats";

/** Goal of the issue: p95 under this for the grid and runs endpoints. */
export const API_P95_GOAL_MS = 150;

export const SCALE_DAG = "bench_wide";

/** Latency of one endpoint over `n` requests, ms. */
export interface EndpointLatency {
  path: string;
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Size of the JSON body. */
  bytes: number;
}

/** What the phase measured (written under `apiScale` in results.json). */
export interface ApiScaleResult {
  runs: number;
  taskInstances: number;
  seedMs: number;
  requestsPerEndpoint: number;
  endpoints: Record<string, EndpointLatency>;
  /** Whether every grid and runs endpoint met the p95 goal. */
  goalMet: boolean;
}

export interface ApiScaleOptions {
  runs: number;
  requests: number;
  redisUrl: string;
  prefix: string;
}

async function timeEndpoint(base: string, token: string, path: string, n: number): Promise<EndpointLatency> {
  const once = async (): Promise<{ ms: number; bytes: number }> => {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
    JSON.parse(text);
    return { ms: performance.now() - t0, bytes: text.length };
  };
  for (let i = 0; i < 10; i++) await once();
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const s = await once();
    samples.push(s.ms);
    bytes = s.bytes;
  }
  const r = (p: number) => round2(percentile(samples, p));
  return { path, n, p50: r(50), p95: r(95), p99: r(99), max: round2(Math.max(...samples)), bytes };
}

/** A keyset cursor pointing `offset` runs deep into the DAG's newest-first order. */
async function deepCursor(rt: Runtime, dagId: string, offset: number): Promise<string> {
  const row = await rt.db("dag_runs").where({ dag_id: dagId }).orderBy([{ column: "logical_date", order: "desc" }, { column: "id", order: "desc" }]).offset(offset).first<{ id: number; logical_date: Date }>("id", "logical_date");
  return encodeURIComponent(encodeCursor({ d: row.logical_date.toISOString(), i: row.id }));
}

async function viewerToken(rt: Runtime): Promise<string> {
  const user = await createUser(rt.db, "bench_viewer", await hashPassword(randomSecret(12)), "viewer");
  if (!user) throw new Error("could not create the bench user");
  const token = randomSecret(24, "rn_");
  await createApiToken(rt.db, user.id, "bench", hashToken(token));
  return token;
}

async function measureAll(rt: Runtime, base: string, o: ApiScaleOptions): Promise<Record<string, EndpointLatency>> {
  const token = await viewerToken(rt);
  const d = SCALE_DAG;
  const deep = await deepCursor(rt, d, Math.floor(o.runs * 0.9));
  const paths: Record<string, string> = {
    gridFirstPage: `/api/dags/${d}/grid`,
    gridDeepPage: `/api/dags/${d}/grid?cursor=${deep}`,
    runsFirstPage: `/api/runs?dagId=${d}`,
    runsDeepPage: `/api/runs?dagId=${d}&cursor=${deep}`,
    runsStateFailed: `/api/runs?dagId=${d}&state=failed`,
    runsStateRunning: `/api/runs?dagId=${d}&state=running`,
    runsAllDags: `/api/runs`,
    dagDetail: `/api/dags/${d}`,
    dagList: `/api/dags`,
  };
  const out: Record<string, EndpointLatency> = {};
  for (const [name, path] of Object.entries(paths)) out[name] = await timeEndpoint(base, token, path, o.requests);
  return out;
}

/** Runs the phase on `bench` (a fresh database; migrated here). */
export async function measureApiScale(bench: BenchDatabase, o: ApiScaleOptions, log: (s: string) => void): Promise<ApiScaleResult> {
  const config = loadConfig({ DATABASE_URL: bench.url, REDIS_URL: o.redisUrl, RUNNEL_DAGS_FOLDER: BENCH_DAGS_FOLDER, RUNNEL_QUEUE_PREFIX: o.prefix, RUNNEL_LOG_LEVEL: "warn" });
  const rt = await Runtime.open(config, { component: "bench-api", migrate: true, syncDags: true, warehouse: false });
  let server: Server | undefined;
  try {
    log(`API scale: seeding ${o.runs} runs x 20 tasks of ${SCALE_DAG}`);
    const seeded: SeededRuns = await seedRuns(rt.db, SCALE_DAG, o.runs);
    log(`API scale: seeded ${seeded.runs} runs, ${seeded.taskInstances} task instances in ${Math.round(seeded.ms)} ms; timing ${o.requests} requests per endpoint`);
    server = createApp(rt).listen(0, "127.0.0.1");
    await new Promise((r) => server?.once("listening", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const endpoints = await measureAll(rt, base, o);
    const gated = Object.entries(endpoints).filter(([k]) => k.startsWith("grid") || k.startsWith("runs"));
    return { runs: seeded.runs, taskInstances: seeded.taskInstances, seedMs: round2(seeded.ms), requestsPerEndpoint: o.requests, endpoints, goalMet: gated.every(([, e]) => e.p95 < API_P95_GOAL_MS) };
  } finally {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await rt.close();
  }
}

/** Prints the phase's table. */
export function printApiScale(r: ApiScaleResult): void {
  console.log(`\nAPI scale — ${r.runs} runs, ${r.taskInstances} task instances of ${SCALE_DAG}; ${r.requestsPerEndpoint} sequential requests per endpoint (seeded in ${Math.round(r.seedMs)} ms)`);
  console.log(`${"endpoint".padEnd(18)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"max ms".padStart(8)} ${"KB".padStart(7)}  path`);
  for (const [name, e] of Object.entries(r.endpoints)) {
    console.log(`${name.padEnd(18)} ${e.p50.toFixed(2).padStart(8)} ${e.p95.toFixed(2).padStart(8)} ${e.p99.toFixed(2).padStart(8)} ${e.max.toFixed(2).padStart(8)} ${(e.bytes / 1024).toFixed(1).padStart(7)}  ${e.path}`);
  }
  console.log(`  ${r.goalMet ? "PASS" : "FAIL"}  grid and runs endpoints p95 < ${API_P95_GOAL_MS} ms`);
}
