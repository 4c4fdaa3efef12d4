import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken, verifyPassword } from "../../src/api/auth/secrets";
import { findUserByName } from "../../src/store/users";
import { createEngineEnv, REPO_ROOT, RUNNEL_BIN, type EngineEnv } from "../helpers/engine";
import { runRunnel } from "../helpers/cli";


let env: EngineEnv;
let childEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  env = await createEngineEnv("cliusers");
  childEnv = { ...env.childEnv };
  delete childEnv.RUNNEL_ADMIN_PASSWORD;
});
afterAll(async () => {
  await env?.drop();
});

const runnel = (...args: string[]) => runRunnel(childEnv, ...args);

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => srv.once("listening", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts `runnel api`, waits for its "Runnel API:" line, stops it; returns what it printed. */
async function apiStartOutput(): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [RUNNEL_BIN, "api", "--port", String(port)], { cwd: REPO_ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise((r) => child.once("exit", r));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runnel api did not start: ${out}`)), 60_000);
      child.stdout.on("data", () => out.includes("Runnel API:") && (clearTimeout(timer), resolve()));
      child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`runnel api exited ${code}: ${out}`))));
    });
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
  return out;
}

describe("runnel users / tokens", () => {
  it("prints the generated first-admin password on the first start only, and it matches the stored hash", async () => {
    const first = await apiStartOutput();
    const match = /Created user admin with password: (\S+)/.exec(first);
    expect(match, first).not.toBeNull();
    expect(first.split("password:").length).toBe(2);
    const admin = await findUserByName(env.db, "admin");
    expect(admin?.role).toBe("admin");
    expect(await verifyPassword(match![1]!, admin!.passwordHash)).toBe(true);
    const second = await apiStartOutput();
    expect(second).not.toContain("Created user");
    expect(second).not.toContain(match![1]!);
  });

  it("users create stores a scrypt hash and prints a generated password once; refuses a duplicate and a bad role", async () => {
    const r = await runnel("users", "create", "olga", "--role", "operator");
    expect(r.code, r.stderr).toBe(0);
    const pw = /created operator olga with password: (\S+)/.exec(r.stdout)?.[1];
    expect(pw).toBeDefined();
    const olga = await findUserByName(env.db, "olga");
    expect(olga?.role).toBe("operator");
    expect(olga?.passwordHash).toMatch(/^scrypt\$/);
    expect(await verifyPassword(pw!, olga!.passwordHash)).toBe(true);

    const given = await runnel("users", "create", "paul", "--role", "viewer", "--password", "paul's password");
    expect(given.stdout.trim()).toBe("created viewer paul");
    expect((await runnel("users", "create", "olga", "--role", "viewer")).stderr).toContain('user "olga" already exists');
    expect((await runnel("users", "create", "quinn", "--role", "root")).code).not.toBe(0);
    expect(await findUserByName(env.db, "quinn")).toBeUndefined();
    const audit = await env.db("audit_log").where({ action: "user_create", target: "user:olga" }).first<{ actor: string }>();
    expect(audit?.actor).toBe("cli");
  });

  it("tokens create prints a token once and stores only its hash", async () => {
    const r = await runnel("tokens", "create", "olga", "--name", "ci");
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^rn_[\w-]{40,}$/);
    const row = await env.db("api_tokens as t").join("users as u", "u.id", "t.user_id").where("t.token_hash", hashToken(token)).first<{ username: string; name: string }>("u.username", "t.name");
    expect(row).toEqual({ username: "olga", name: "ci" });
    expect(await env.db("api_tokens").where("token_hash", token).first()).toBeUndefined();
    expect((await runnel("tokens", "create", "nobody")).stderr).toContain('no user "nobody"');
  });
});
