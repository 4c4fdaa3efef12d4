import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DagRegistry } from "../../src/dags/dagRegistry";
import { jobIdFor } from "../../src/executor/dispatcher";
import { silentLogger } from "../../src/obs/logger";
import { Runtime } from "../../src/runtime/runtime";
import { startWorker } from "../../src/runtime/services";
import { triggerRun } from "../../src/scheduler/triggerRun";
import { createEngineEnv, REPO_ROOT, RUNNEL_BIN, startEngine, trigger, waitFor, waitForRunEnd, type EngineEnv } from "../helpers/engine";

// Issue 16: a scheduler and two workers as separate processes, each polling the DAG folder on its
// own clock. A DAG file triggered the moment the schedulers list it, and a task added by an edit
// triggered the moment the new version is recorded, must run, not fail "not in any loaded DAG".

const SERVER = fileURLToPath(new URL("../../", import.meta.url));
const ROUNDS = 20;

let env: EngineEnv;
let folder: string;
const children: ChildProcess[] = [];

function dagSource(dagId: string, extraTask: boolean): string {
  return `import { defineDag } from "runnel";
export default defineDag({ id: "${dagId}", schedule: null }, (dag) => {
  const first = dag.task("first", { run: () => ({ n: 1 }) });
  ${extraTask ? `dag.task("added", { needs: { first }, run: (ctx) => ctx.upstream.first.n + 1 });` : `void first;`}
});
`;
}

function start(...args: string[]): void {
  const child = spawn(process.execPath, [RUNNEL_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...env.childEnv, RUNNEL_DAGS_FOLDER: folder, RUNNEL_SCHEDULER_INTERVAL_MS: "100" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
}

/** A DAG folder that resolves `runnel` to this server package, with the given files. */
async function makeFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "runnel-notloaded-"));
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "notloaded-dags", type: "module" }));
  await mkdir(join(dir, "node_modules"));
  await symlink(SERVER, join(dir, "node_modules", "runnel"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function recordedVersion(dagId: string): Promise<number | undefined> {
  const row = await env.db("dags").select("latest_version_id").where({ dag_id: dagId }).first<{ latest_version_id: number | null } | undefined>();
  return row?.latest_version_id ?? undefined;
}

beforeAll(async () => {
  env = await createEngineEnv("notloaded");
  folder = await makeFolder({ "seed.ts": dagSource("seed", false) });
  start("scheduler");
  start("worker", "--concurrency", "4");
  start("worker", "--concurrency", "4");
  await waitFor("the scheduler to record the seed DAG", () => recordedVersion("seed"), 60_000);
}, 90_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGKILL");
        }),
    ),
  );
  await rm(folder, { recursive: true, force: true });
  await env?.drop();
});

describe("a DAG triggered as soon as the schedulers know it", () => {
  it(`runs a new file and a task added by an edit, ${ROUNDS} times in a row, each try counted once`, { timeout: 240_000 }, async () => {
    const local = new DagRegistry({ folder });
    const runs: number[] = [];
    let lateTriggers = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const dagId = `fresh_${i}`;
      // A new file: trigger within 100 ms of the schedulers listing it.
      await writeFile(join(folder, `${dagId}.ts`), dagSource(dagId, false));
      await local.refresh();
      const v1 = await waitFor(`${dagId} to be listed`, () => recordedVersion(dagId), 30_000, 10);
      const listedAt = Date.now();
      runs.push((await triggerRun(env.db, local.get(dagId)!, v1)).dagRunId);
      if (Date.now() - listedAt > 100) lateTriggers++;

      // An edit adding a task: trigger the new version the moment it is recorded.
      await writeFile(join(folder, `${dagId}.ts`), dagSource(dagId, true));
      await local.refresh();
      const v2 = await waitFor(`${dagId}'s edit to be recorded`, async () => {
        const v = await recordedVersion(dagId);
        return v !== undefined && v !== v1 ? v : undefined;
      }, 30_000, 10);
      const recordedAt = Date.now();
      runs.push((await triggerRun(env.db, local.get(dagId)!, v2)).dagRunId);
      if (Date.now() - recordedAt > 100) lateTriggers++;
    }
    local.close();
    expect(lateTriggers, "triggers that came later than 100 ms after the listing").toBe(0);

    const states = [];
    for (const id of runs) states.push(await waitForRunEnd(env.db, id, 60_000));
    const failures = await env.db("task_attempts as a")
      .join("task_instances as t", "t.id", "a.task_instance_id")
      .whereIn("t.dag_run_id", runs)
      .whereNot("a.state", "success")
      .select("t.dag_id", "t.task_id", "a.state", "a.error");
    expect(failures).toEqual([]);
    expect(states).toEqual(runs.map(() => "success"));
    // Each task instance ran once, as try 1: a hand-back is not a try.
    const tries = await env.db("task_instances").whereIn("dag_run_id", runs).select("task_id", "try_number", "state");
    expect(tries).toHaveLength(ROUNDS * 3);
    for (const t of tries) expect(t).toMatchObject({ try_number: 1, state: "success" });
  });
});

describe("a worker whose DAG folder does not have the file yet", () => {
  it("hands the try back (still queued, no attempt) until the file arrives, then runs it as try 1", { timeout: 60_000 }, async () => {
    const schedulerFolder = await makeFolder({ "late.ts": dagSource("late", true) });
    const workerFolder = await makeFolder({});
    const engine = await startEngine({ ...env.config, dagsFolder: schedulerFolder }, { worker: false });
    const workerRt = await Runtime.open({ ...env.config, dagsFolder: workerFolder }, { component: "test-worker", watchDags: true, warehouse: true, logger: silentLogger() });
    try {
      startWorker(workerRt);
      const dagRunId = await trigger(engine.rt, "late");
      // The worker claims the first try, cannot load it, and hands it back: BullMQ holds the same job delayed.
      const first = await env.db("task_instances").where({ dag_run_id: dagRunId, task_id: "first" }).first<{ id: number }>();
      await waitFor("the first try to be handed back (its job delayed)", async () => {
        const job = await engine.rt.dispatcher.queue.getJob(jobIdFor(first!.id, 1));
        return job && (await job.getState()) === "delayed" ? true : undefined;
      }, 20_000, 50);
      const meanwhile = await env.db("task_instances as t").where({ "t.dag_run_id": dagRunId }).select("t.task_id", "t.state", "t.try_number");
      expect(meanwhile).toEqual(expect.arrayContaining([{ task_id: "first", state: "queued", try_number: 1 }]));
      expect(await env.db("task_attempts as a").join("task_instances as t", "t.id", "a.task_instance_id").where({ "t.dag_run_id": dagRunId }).count<{ n: number }[]>("* as n")).toEqual([{ n: 0 }]);

      await writeFile(join(workerFolder, "late.ts"), dagSource("late", true));
      expect(await waitForRunEnd(env.db, dagRunId, 30_000)).toBe("success");
      const tries = await env.db("task_attempts as a").join("task_instances as t", "t.id", "a.task_instance_id").where({ "t.dag_run_id": dagRunId }).select("t.task_id", "a.try_number", "a.state").orderBy("t.task_id");
      expect(tries).toEqual([
        { task_id: "added", try_number: 1, state: "success" },
        { task_id: "first", try_number: 1, state: "success" },
      ]);
    } finally {
      await workerRt.close();
      await engine.close();
      await rm(schedulerFolder, { recursive: true, force: true });
      await rm(workerFolder, { recursive: true, force: true });
    }
  });
});
