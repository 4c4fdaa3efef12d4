import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertSenderOf } from "../../src/runtime/services";
import type { CleanCounts } from "../../src/store/historyCleanup";
import { startApiStack, type ApiStack } from "../helpers/apiServer";
import { runRunnel } from "../helpers/cli";
import { trigger, waitForRunEnd } from "../helpers/engine";
import { DAY1, LINEAGE_DAGS, runLineageChain, type ChainRuns } from "../helpers/lineageChain";

let s: ApiStack;
let chain: ChainRuns;
/** lineage_a's second run of DAY1: it wrote a.x DAY1 again, so a1's writes are no longer the latest. */
let a1again: number;
let childEnv: NodeJS.ProcessEnv;
const ids: Record<"oldFailed" | "oldOpenLetter" | "oldQueued" | "oldRunning" | "recent", number> = { oldFailed: 0, oldOpenLetter: 0, oldQueued: 0, oldRunning: 0, recent: 0 };

const DAY_MS = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS);
const runnel = (...args: string[]) => runRunnel(childEnv, ...args);

async function cleanJson(...args: string[]): Promise<CleanCounts> {
  const r = await runnel("db", "clean", ...args, "--json");
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CleanCounts;
}

/** An ended (or not) lineage_c run inserted directly, with one task instance, its attempt and two log lines. */
async function insertRun(state: string, ended: Date | null, label: string): Promise<{ runId: number; tiId: number }> {
  const db = s.env.db;
  const versionId = (await db("dags").where({ dag_id: "lineage_c" }).first<{ latest_version_id: number }>("latest_version_id"))!.latest_version_id;
  const [run] = await db("dag_runs")
    .insert({
      dag_id: "lineage_c",
      run_id: `manual__${label}`,
      run_type: "manual",
      state,
      logical_date: daysAgo(200),
      data_interval_start: daysAgo(200),
      data_interval_end: daysAgo(200),
      dag_version_id: versionId,
      created_at: daysAgo(200),
      start_date: daysAgo(200),
      end_date: ended,
      updated_at: daysAgo(200),
    })
    .returning<Array<{ id: number }>>("id");
  const tiState = state === "queued" ? "queued" : state === "running" ? "running" : state === "success" ? "success" : "failed";
  const [ti] = await db("task_instances").insert({ dag_run_id: run!.id, dag_id: "lineage_c", task_id: "load_z", state: tiState, try_number: 1 }).returning<Array<{ id: number }>>("id");
  await db("task_attempts").insert({ task_instance_id: ti!.id, try_number: 1, state: tiState === "queued" ? "running" : tiState, start_date: daysAgo(200) });
  await db("task_logs").insert([
    { task_instance_id: ti!.id, try_number: 1, level: "info", message: "one" },
    { task_instance_id: ti!.id, try_number: 1, level: "info", message: "two" },
  ]);
  return { runId: Number(run!.id), tiId: Number(ti!.id) };
}

async function insertDeadLetter(runId: number, tiId: number, status: string): Promise<number> {
  const [dl] = await s.env.db("dead_letters")
    .insert({ kind: "record", status, dag_id: "lineage_c", task_id: "load_z", task_instance_id: tiId, dag_run_id: runId, try_number: 1, record_key: "k", error: "bad row" })
    .returning<Array<{ id: number }>>("id");
  await s.env.db("dead_letter_history").insert({ dead_letter_id: dl!.id, event: "created", actor: "task", details: {} });
  return Number(dl!.id);
}

const runIds = async (): Promise<number[]> => (await s.env.db("dag_runs").pluck<number[]>("id")).map(Number);

/** Alert event ids by label (the ones deleted, and the ones a clean must keep). */
const alertIds: Record<string, string> = {};

/** An alert event of `dagId` that occurred `ago` ms ago, fanned out (or not) with deliveries in `states`. */
async function insertAlert(label: string, dagId: string, agoDays: number, states: string[] | null): Promise<void> {
  const [e] = await s.env.db("alert_events")
    .insert({ event: "run_failed", dag_id: dagId, run_id: `manual__${label}`, logical_date: daysAgo(agoDays), error: "run failed", occurred_at: daysAgo(agoDays), fanned_out_at: states === null ? null : daysAgo(agoDays) })
    .returning<Array<{ id: string }>>("id");
  alertIds[label] = e!.id;
  const channels = ["webhook", "slack", "email"];
  if (states && states.length > 0) await s.env.db("alert_deliveries").insert(states.map((state, i) => ({ event_id: e!.id, channel: channels[i], state, attempts: 1 })));
}

beforeAll(async () => {
  s = await startApiStack("dbclean", { config: { dagsFolder: LINEAGE_DAGS } });
  childEnv = { ...s.env.childEnv, RUNNEL_DAGS_FOLDER: LINEAGE_DAGS };
  chain = await runLineageChain(s.engine.rt, s.env.db);
  await s.env.db("dag_runs").where({ id: chain.a1 }).update({ run_id: "manual__first_of_day1" }); // frees the manual run id
  a1again = await trigger(s.engine.rt, "lineage_a", {}, new Date(`${DAY1}T00:00:00Z`));
  expect(await waitForRunEnd(s.env.db, a1again)).toBe("success");
  // No scheduler from here on: the queued and running runs below stay as they are.
  await s.engine.scheduler?.stop();
  await alertSenderOf(s.engine.rt)?.stop();
  // Every run of the chain ended 100 days ago.
  await s.env.db("dag_runs").update({ end_date: daysAgo(100) });

  const failed = await insertRun("failed", daysAgo(150), "old_failed");
  ids.oldFailed = failed.runId;
  await insertDeadLetter(failed.runId, failed.tiId, "discarded");
  await s.env.db("check_results").insert({
    dag_run_id: failed.runId,
    task_instance_id: failed.tiId,
    dag_id: "lineage_c",
    task_id: "load_z",
    try_number: 1,
    partition: DAY1,
    dataset: "lin_c_z",
    severity: "warn",
    expectation: "rowCount",
    kind: "rowCount",
    passed: false,
    observed: "0 rows",
    threshold: ">= 1",
  });
  const open = await insertRun("failed", daysAgo(150), "old_open_letter");
  ids.oldOpenLetter = open.runId;
  await insertDeadLetter(open.runId, open.tiId, "open");
  ids.oldQueued = (await insertRun("queued", null, "old_queued")).runId;
  ids.oldRunning = (await insertRun("running", null, "old_running")).runId;
  ids.recent = (await insertRun("success", daysAgo(1), "recent")).runId;

  // Alerts: deleted when old and every delivery is sent or given up; kept while one is still on its way.
  await insertAlert("c_sent", "lineage_c", 150, ["sent", "sent"]);
  await insertAlert("c_no_channel", "lineage_c", 150, []);
  await insertAlert("c_failing", "lineage_c", 150, ["sent", "failing"]);
  await insertAlert("c_pending", "lineage_c", 150, ["pending"]);
  await insertAlert("c_not_fanned_out", "lineage_c", 150, null);
  await insertAlert("c_recent", "lineage_c", 1, ["sent"]);
  await insertAlert("a_given_up", "lineage_a", 150, ["given_up", "sent"]);

  const user = await s.env.db("users").where({ username: "viewer" }).first<{ id: number }>("id");
  await s.env.db("sessions").insert([
    { user_id: user!.id, token_hash: "expired-session", expires_at: daysAgo(2) },
    { user_id: user!.id, token_hash: "live-session", expires_at: new Date(Date.now() + DAY_MS) },
  ]);
}, 180_000);
afterAll(async () => {
  await s?.close();
});

describe("runnel db clean", () => {
  it("--dry-run counts what the real clean then deletes; --dag limits it; nothing newer, active, still latest or with an open dead letter is touched", async () => {
    const before = await runIds();
    const dryAll = await cleanJson("--before", "30d", "--dry-run");
    // a1 (every write superseded by a1again) and the old failed run; sessions: the expired one.
    expect(dryAll).toMatchObject({ dag_runs: 2, dead_letters: 1, dead_letter_history: 1, check_results: 1, alert_events: 3, sessions: 1 });
    expect(dryAll.task_instances).toBeGreaterThanOrEqual(2);
    expect(dryAll.task_logs).toBeGreaterThanOrEqual(2);
    expect(await runIds()).toEqual(before);

    const dryC = await cleanJson("--before", "30d", "--dag", "lineage_c", "--dry-run");
    expect(dryC).toEqual({ dag_runs: 1, task_instances: 1, task_attempts: 1, task_logs: 2, check_results: 1, dataset_reads: 0, dead_letters: 1, dead_letter_history: 1, reprocess_runs: 0, alert_events: 2, sessions: 0 });
    const realC = await cleanJson("--before", "30d", "--dag", "lineage_c");
    expect(realC).toEqual(dryC);
    expect(await s.env.db("dag_runs").where({ id: chain.a1 }).first()).toBeDefined();

    const realRest = await cleanJson("--before", "30d");
    for (const key of Object.keys(dryAll) as Array<keyof CleanCounts>) expect(realC[key] + realRest[key], key).toBe(dryAll[key]);

    const after = await runIds();
    expect(after.sort()).toEqual(before.filter((id) => id !== chain.a1 && id !== ids.oldFailed).sort());
    // Kept: b1, c1, a2, b2 and a1again hold the latest write of a partition; the open dead letter's
    // run; queued, running and recent runs.
    for (const id of [chain.b1, chain.c1, chain.a2, chain.b2, a1again, ids.oldOpenLetter, ids.oldQueued, ids.oldRunning, ids.recent]) expect(after).toContain(id);
    expect(Number((await s.env.db("task_instances").whereIn("dag_run_id", [chain.a1, ids.oldFailed]).count<Array<{ n: string }>>("* as n"))[0]!.n)).toBe(0);
    expect(await s.env.db("dead_letters").pluck("status")).toEqual(["open"]);
    expect(await s.env.db("sessions").pluck("token_hash")).toEqual(["live-session"]);
    // Alerts still on their way (or not fanned out) and recent ones stay, with their deliveries.
    const keptAlerts = ["c_failing", "c_pending", "c_not_fanned_out", "c_recent"].map((l) => alertIds[l]);
    expect((await s.env.db("alert_events").pluck<string[]>("id")).sort()).toEqual(keptAlerts.sort());
    expect(Number((await s.env.db("alert_deliveries").count<Array<{ n: string }>>("* as n"))[0]!.n)).toBe(4);
    // a1's write events stay in the partition's history, without their run.
    expect(Number((await s.env.db("dataset_events").whereNull("dag_run_id").count<Array<{ n: string }>>("* as n"))[0]!.n)).toBeGreaterThan(0);

    // Nothing left to clean.
    expect(Object.values(await cleanJson("--before", "30d", "--dry-run")).every((n) => n === 0)).toBe(true);
  });

  it("the grid and lineage partition APIs still answer after cleaning", async () => {
    for (const dag of ["lineage_a", "lineage_b", "lineage_c"]) {
      const res = await s.call("viewer", `/api/dags/${dag}/grid`);
      expect(res.status, await res.clone().text()).toBe(200);
    }
    for (const uri of ["warehouse.lin_a_x", "warehouse.lin_b_y", "warehouse.lin_c_z"]) {
      const res = await s.call("viewer", `/api/lineage/partition?${new URLSearchParams({ uri, partition: DAY1 }).toString()}`);
      expect(res.status, await res.clone().text()).toBe(200);
    }
  });

  it("refuses a bad --before with one clear line", async () => {
    const r = await runnel("db", "clean", "--before", "ninety days");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--before");
    const help = await runnel("db", "clean", "--help");
    expect(help.stdout).toContain("--dry-run");
  });
});
