import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
  ports?: string[];
  healthcheck?: { test: string[] | string };
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

const repoFile = (name: string): string => fileURLToPath(new URL(`../../../${name}`, import.meta.url));
// `merge: true` resolves the `<<: *runnel-app` keys the way docker compose does.
const compose = parse(readFileSync(repoFile("docker-compose.yml"), "utf8"), { merge: true }) as ComposeFile;
const services = compose.services;
const service = (name: string): ComposeService => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const env = (s: ComposeService): Record<string, string> =>
  Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string])) : (s.environment ?? {});
const words = (command: ComposeService["command"]): string[] => (Array.isArray(command) ? command : (command ?? "").split(/\s+/));
const APP_SERVICES = ["scheduler", "worker", "api"];

describe("docker-compose.yml", () => {
  it("has the two stores and the three Runnel roles", () => {
    expect(Object.keys(services).sort()).toEqual(["api", "postgres", "redis", "scheduler", "worker"]);
    expect(service("postgres").image).toBe("postgres:16");
    expect(service("redis").image).toBe("redis:7");
    expect(service("postgres").healthcheck?.test.toString()).toContain("pg_isready");
    expect(service("redis").healthcheck?.test.toString()).toContain("ping");
  });

  it("runs Redis with AOF and noeviction, which BullMQ needs to never lose a job", () => {
    const command = words(service("redis").command).join(" ");
    expect(command).toContain("--appendonly yes");
    expect(command).toContain("--maxmemory-policy noeviction");
  });

  it("builds the Runnel roles from the root Dockerfile with the right commands", () => {
    for (const name of APP_SERVICES) {
      const build = service(name).build;
      expect(typeof build === "string" ? build : build?.context, name).toBe(".");
    }
    expect(words(service("scheduler").command)).toEqual(["pnpm", "runnel", "scheduler"]);
    expect(words(service("worker").command)).toEqual(["pnpm", "runnel", "worker"]);
    expect(words(service("api").command)).toEqual(["pnpm", "runnel", "api", "--host", "0.0.0.0", "--port", "8080"]);
    expect(service("worker").deploy?.replicas).toBe(2);
    expect(service("api").ports).toContain("8080:8080");
  });

  it("gives every service that uses the database DATABASE_URL and REDIS_URL pointing at the compose services", () => {
    const users = Object.entries(services).filter(([, s]) => words(s.command)[1] === "runnel" || "DATABASE_URL" in env(s));
    expect(users.map(([name]) => name).sort()).toEqual([...APP_SERVICES].sort());
    for (const [name, s] of users) {
      expect(env(s).DATABASE_URL, name).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/\w+$/);
      expect(env(s).REDIS_URL, name).toMatch(/^redis:\/\/redis:6379/);
    }
  });

  it("starts the Runnel roles only once PostgreSQL and Redis are healthy", () => {
    for (const name of APP_SERVICES) {
      expect(service(name).depends_on, name).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
    }
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(repoFile("Dockerfile"), "utf8");
  it("builds on Node 20 with pnpm 10 and a frozen lockfile", () => {
    expect(dockerfile).toMatch(/^FROM node:20\b/m);
    expect(dockerfile).toMatch(/corepack enable && corepack install/);
    const rootPackage = JSON.parse(readFileSync(repoFile("package.json"), "utf8")) as { packageManager?: string };
    expect(rootPackage.packageManager).toMatch(/^pnpm@10\./);
    expect(dockerfile).toContain("pnpm install --frozen-lockfile");
  });
});
