import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../src/api/app";
import { hashPassword, hashToken, randomSecret } from "../../src/api/auth/secrets";
import type { UserRole } from "../../src/model/states";
import { createApiToken, createUser } from "../../src/store/users";
import type { RunnelConfig } from "../../src/config/config";
import { createEngineEnv, startEngine, type Engine, type EngineEnv } from "./engine";

/** An engine with the HTTP app on a free port, and one user + API token per role. */
export interface ApiStack {
  env: EngineEnv;
  engine: Engine;
  base: string;
  tokens: Record<UserRole, string>;
  /** Password of every test user (`viewer`, `operator`, `admin`). */
  password: string;
  /** fetch with `Authorization: Bearer` of `role` (none for null); JSON bodies get the JSON content type. */
  call(role: UserRole | null, path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export async function startApiStack(label: string, opts: { worker?: boolean; scheduler?: boolean; config?: Partial<RunnelConfig> } = {}): Promise<ApiStack> {
  const env = await createEngineEnv(label, opts.config);
  const engine = await startEngine(env.config, { worker: opts.worker ?? true, scheduler: opts.scheduler ?? true });
  const server: Server = createApp(engine.rt).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const password = "correct horse battery staple";
  const tokens = {} as Record<UserRole, string>;
  for (const role of ["viewer", "operator", "admin"] as const) {
    const user = await createUser(env.db, role, await hashPassword(password), role);
    tokens[role] = randomSecret(24, "rn_");
    await createApiToken(env.db, user!.id, "test", hashToken(tokens[role]));
  }
  return {
    env,
    engine,
    base,
    tokens,
    password,
    call(role, path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (role) headers.authorization = `Bearer ${tokens[role]}`;
      if (init.body !== undefined) headers["content-type"] ??= "application/json";
      return fetch(`${base}${path}`, { method: init.method ?? (init.body !== undefined ? "POST" : "GET"), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await engine.close();
      await env.drop();
    },
  };
}
