import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../src/cli/program";
import { createEngineEnv, REPO_DAGS, type EngineEnv } from "../helpers/engine";
import { runRunnel } from "../helpers/cli";


let env: EngineEnv;
let childEnv: NodeJS.ProcessEnv;

const runnel = (...args: string[]) => runRunnel(childEnv, ...args);

beforeAll(async () => {
  env = await createEngineEnv("cli", { dagsFolder: REPO_DAGS });
  childEnv = { ...env.childEnv, RUNNEL_DAGS_FOLDER: REPO_DAGS };
});
afterAll(async () => {
  await env?.drop();
});

describe("the runnel CLI", () => {
  it("prints the data intervals of a DAG as JSON, clipped to the closed range", async () => {
    const r = await runnel("dags", "intervals", "hello", "--from", "2024-01-30", "--to", "2024-02-02", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(
      ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"].map((d, i, all) => ({
        logicalDate: `${d}T00:00:00.000Z`,
        start: `${d}T00:00:00.000Z`,
        end: i + 1 < all.length ? `${all[i + 1]}T00:00:00.000Z` : "2024-02-03T00:00:00.000Z",
      })),
    );
  });

  it("lists DAGs, triggers with validated params, pauses and unpauses", async () => {
    const list = await runnel("dags", "list", "--json");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).dags.map((d: { dagId: string }) => d.dagId).sort()).toEqual(["customer_analytics", "customer_segments", "hello"]);

    const bad = await runnel("dags", "trigger", "customer_analytics", "--conf", '{"customers": -3}');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("customers");

    const ok = await runnel("dags", "trigger", "customer_analytics", "--conf", '{"region": "us"}', "--logical-date", "2024-05-01");
    expect(ok.code).toBe(0);
    const { runId } = JSON.parse(ok.stdout) as { runId: string };
    const row = await env.db("dag_runs").where({ dag_id: "customer_analytics", run_id: runId }).first();
    expect(row.state).toBe("queued");
    expect(row.conf).toEqual({ region: "us" });
    expect(row.logical_date.toISOString()).toBe("2024-05-01T00:00:00.000Z");

    // Without --logical-date: the last complete interval (it ended before the trigger), whose start is the logical date.
    const before = Date.now();
    const inferred = await runnel("dags", "trigger", "hello");
    expect(inferred.code, inferred.stderr).toBe(0);
    const out = JSON.parse(inferred.stdout) as { runId: string; logicalDate: string; dataIntervalStart: string; dataIntervalEnd: string; inferred: boolean };
    expect(out).toMatchObject({ inferred: true, logicalDate: out.dataIntervalStart });
    const stored = await env.db("dag_runs").where({ dag_id: "hello", run_id: out.runId }).first();
    expect(stored.data_interval_end.getTime()).toBeLessThanOrEqual(Date.now());
    expect(stored.data_interval_end.getTime()).toBeGreaterThan(before - 2 * 86_400_000);
    expect(stored.data_interval_start.toISOString()).toBe(out.dataIntervalStart);
    expect(stored.logical_date.toISOString()).toBe(out.dataIntervalStart);

    expect((await runnel("dags", "pause", "hello")).code).toBe(0);
    expect((await env.db("dags").where({ dag_id: "hello" }).first()).is_paused).toBe(true);
    expect((await runnel("dags", "unpause", "hello")).code).toBe(0);
    expect((await env.db("dags").where({ dag_id: "hello" }).first()).is_paused).toBe(false);
    expect((await runnel("dags", "pause", "nope")).stderr).toContain('no DAG "nope"');
  });

  it("dags test runs the whole DAG in-process and prints each task's log and state", async () => {
    const r = await runnel("dags", "test", "hello", "2024-03-01");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[say_hello try 1] INFO Hello from Runnel for 2024-03-01");
    expect(r.stdout).toMatch(/report\s+success/);
    expect(r.stdout).toContain("run state: success");
  });

  it("tasks test runs one task and leaves no run behind", async () => {
    const before = await env.db("dag_runs").where({ dag_id: "hello" }).count<{ n: string }[]>("* as n");
    const r = await runnel("tasks", "test", "hello", "say_hello", "--logical-date", "2024-03-01");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('output: {"greeting":"Hello from Runnel for 2024-03-01!"}');
    const after = await env.db("dag_runs").where({ dag_id: "hello" }).count<{ n: string }[]>("* as n");
    expect(after).toEqual(before);
  });

  it("names a bad configuration value at startup", async () => {
    const saved = childEnv;
    childEnv = { ...childEnv, REDIS_URL: "redis://127.0.0.1:6379/x" };
    const r = await runnel("dags", "list");
    childEnv = saved;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('REDIS_URL="redis://127.0.0.1:6379/x"');
  });

  it("has --help on every command", () => {
    const walk = (cmd: ReturnType<typeof buildCli>, path: string[]): string[][] => [path, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
    const paths = walk(buildCli(), []);
    for (const expected of [["start"], ["scheduler"], ["worker"], ["api"], ["migrate"], ["dags", "list"], ["dags", "intervals"], ["dags", "trigger"], ["dags", "pause"], ["dags", "unpause"], ["dags", "test"], ["tasks", "test"]]) {
      expect(paths).toContainEqual(expected);
    }
    const find = (names: string[]) => names.reduce((c, n) => c.commands.find((x) => x.name() === n)!, buildCli());
    for (const p of paths.filter((p) => p.length)) {
      const help = find(p).helpInformation();
      expect(help).toContain("-h, --help");
      expect(find(p).description()).not.toBe("");
    }
    expect(find(["start"]).helpInformation()).toMatch(/--host <host>[\s\S]*127\.0\.0\.1[\s\S]*--port <port>[\s\S]*8080/);
  });
});
