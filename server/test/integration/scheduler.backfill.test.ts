import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackfillCreateResponse, BackfillDetail, BackfillListResponse } from "../../src/api/contract";
import { startApiStack, type ApiStack } from "../helpers/apiServer";
import { trigger, waitFor, waitForRunEnd } from "../helpers/engine";

const BACKFILL_DAGS = fileURLToPath(new URL("../fixtures/backfill_dags/", import.meta.url));
const BACKFILL_TASK_MS = 400;

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("backfill", { config: { dagsFolder: BACKFILL_DAGS, workerConcurrency: 2, backfillMaxRuns: 300 } });
});
afterAll(async () => {
  await s?.close();
});

const iso = (day: string) => `${day}T00:00:00.000Z`;

async function post<T>(path: string, body: unknown, status: number): Promise<T> {
  const res = await s.call("operator", path, { body });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(status);
  return (await res.json()) as T;
}

const backfill = (body: Record<string, unknown>, status = 201) => post<BackfillCreateResponse>("/api/dags/daily_one/backfills", body, status);
const get = async (id: number) => (await (await s.call("viewer", `/api/backfills/${id}`)).json()) as BackfillDetail;
const waitForState = (id: number, state: string, timeoutMs = 30_000) =>
  waitFor(`backfill ${id} ${state}`, async () => {
    const b = await get(id);
    return b.state === state ? b : undefined;
  }, timeoutMs);

/** Runs of daily_one with logical dates in [from, to] (UTC days). */
async function runsIn(from: string, to: string): Promise<{ logical_date: Date; run_type: string; state: string; try_number: number }[]> {
  return s.env.db("dag_runs as r")
    .join("task_instances as t", "t.dag_run_id", "r.id")
    .where("r.dag_id", "daily_one")
    .whereBetween("r.logical_date", [new Date(iso(from)), new Date(iso(to))])
    .select("r.logical_date", "r.run_type", "r.state", "t.try_number")
    .orderBy("r.logical_date");
}

describe("backfill", () => {
  it("answers the exact plan for a dry run and writes nothing", async () => {
    const dry = await backfill({ from: "2024-01-01", to: "2024-01-03", dryRun: true }, 200);
    expect(dry).toEqual({
      dryRun: true,
      plan: { create: ["2024-01-01", "2024-01-02", "2024-01-03"].map(iso), clear: [], skip: [] },
      range: { requested: { from: iso("2024-01-01"), to: iso("2024-01-03") }, backfilled: { from: iso("2024-01-01"), to: iso("2024-01-03") }, beforeStartDate: null, afterEndDate: null },
      backfill: null,
    });
    expect(Number((await s.env.db("backfills").count<{ n: string }>("* as n").first())?.n)).toBe(0);
    expect(await runsIn("2024-01-01", "2024-01-03")).toEqual([]);
    const newest = await backfill({ from: "2024-01-01", to: "2024-01-03", order: "newest", dryRun: true }, 200);
    expect(newest.plan.create).toEqual(["2024-01-03", "2024-01-02", "2024-01-01"].map(iso));
  });

  it("refuses bad input with a 400 that says what is wrong", async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["daily_one", { from: "2024-02-05", to: "2024-02-01" }, "before from"],
      ["manual_only", { from: "2024-02-01", to: "2024-02-05" }, "has no schedule"],
      // entirely outside the DAG's dates (partly outside is clipped: see below)
      ["daily_one", { from: "2023-12-01", to: "2023-12-31" }, "lies entirely before the DAG's startDate (2024-01-01T00:00:00.000Z)"],
      ["daily_one", { from: "2025-01-01", to: "2025-01-05" }, "lies entirely after the DAG's endDate (2024-12-31T00:00:00.000Z)"],
      ["daily_one", { from: "2024-01-01", to: "2024-12-31" }, "more than 300 runs"],
      ["daily_one", { from: "2024-01-01", to: "2024-01-02", reprocess: "sometimes" }, "reprocess"],
      ["daily_one", { from: "yesterday", to: "2024-01-02" }, "from"],
    ];
    for (const [dagId, body, message] of cases) {
      const res = await s.call("operator", `/api/dags/${dagId}/backfills`, { body });
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect((JSON.parse(text) as { error: { message: string } }).error.message).toContain(message);
    }
    expect((await s.call("operator", "/api/dags/nope/backfills", { body: { from: "2024-01-01", to: "2024-01-02" } })).status).toBe(404);
    expect((await s.call("viewer", "/api/dags/daily_one/backfills", { body: { from: "2024-01-01", to: "2024-01-02" } })).status).toBe(403);
  });

  it("clips a range partly outside the DAG's startDate/endDate and says which part was left out", async () => {
    const early = await backfill({ from: "2023-12-29", to: "2024-01-02", dryRun: true }, 200);
    expect(early.plan).toEqual({ create: [iso("2024-01-01"), iso("2024-01-02")], clear: [], skip: [] });
    expect(early.range).toEqual({
      requested: { from: iso("2023-12-29"), to: iso("2024-01-02") },
      backfilled: { from: iso("2024-01-01"), to: iso("2024-01-02") },
      beforeStartDate: { from: iso("2023-12-29"), to: iso("2024-01-01") },
      afterEndDate: null,
    });
    // Stored clipped (the scheduler may have made 12-31 already: create or skip).
    const late = await backfill({ from: "2024-12-29", to: "2025-01-03", maxActiveRuns: 1 });
    expect([...late.plan.create, ...late.plan.skip].sort()).toEqual(["2024-12-29", "2024-12-30", "2024-12-31"].map(iso));
    expect(late.range.afterEndDate).toEqual({ from: iso("2024-12-31"), to: iso("2025-01-03") });
    expect(late.backfill).toMatchObject({ from: iso("2024-12-29"), to: iso("2024-12-31") });
    await waitForState(late.backfill!.id, "completed");
  });

  it("runs missing dates within its maxActiveRuns; overlapping backfills create no duplicate runs", async () => {
    const [a, b] = await Promise.all([
      backfill({ from: "2024-02-01", to: "2024-02-05", maxActiveRuns: 2 }),
      backfill({ from: "2024-02-03", to: "2024-02-08", maxActiveRuns: 3 }),
    ]);
    expect(a.plan.create).toHaveLength(5);
    const [da, db] = await Promise.all([waitForState(a.backfill!.id, "completed"), waitForState(b.backfill!.id, "completed")]);
    const runs = await runsIn("2024-02-01", "2024-02-08");
    expect(runs.map((r) => r.logical_date.toISOString())).toEqual(["01", "02", "03", "04", "05", "06", "07", "08"].map((x) => iso(`2024-02-${x}`)));
    expect(runs.every((r) => r.run_type === "backfill" && r.state === "success" && r.try_number === 1)).toBe(true);
    expect(da.progress).toMatchObject({ total: 5, success: 5, pending: 0, failed: 0, percent: 100, etaSeconds: 0 });
    expect(db.dates.map((d) => d.state)).toEqual(Array(6).fill("success"));
    const starts = await s.env.db("dag_runs").where({ backfill_id: a.backfill!.id }).select("start_date", "end_date");
    // maxActiveRuns 2: never three of A's runs at once.
    for (const r of starts) expect(starts.filter((o) => o.start_date < r.end_date && o.end_date > r.start_date).length).toBeLessThanOrEqual(2);
    const list = (await (await s.call("viewer", "/api/backfills?dagId=daily_one")).json()) as BackfillListResponse;
    expect(list.backfills.map((x) => x.id)).toEqual(expect.arrayContaining([a.backfill!.id, b.backfill!.id]));
    const audit = await s.env.db("audit_log").where({ action: "backfill" }).count<{ n: string }>("* as n").first();
    expect(Number(audit?.n)).toBeGreaterThanOrEqual(2);
  });

  it("reprocess failed clears only the failed date; reprocess all reruns every date", async () => {
    const failDir = s.env.scratch;
    writeFileSync(join(failDir, "fail-2024-03-02"), "");
    const first = await backfill({ from: "2024-03-01", to: "2024-03-04", conf: { failDir } });
    const done = await waitForState(first.backfill!.id, "completed");
    expect(done.progress).toMatchObject({ success: 3, failed: 1 });
    rmSync(join(failDir, "fail-2024-03-02"));

    const missing = await backfill({ from: "2024-03-01", to: "2024-03-05", reprocess: "missing", dryRun: true }, 200);
    expect(missing.plan).toEqual({ create: [iso("2024-03-05")], clear: [], skip: ["01", "02", "03", "04"].map((x) => iso(`2024-03-${x}`)) });
    const failed = await backfill({ from: "2024-03-01", to: "2024-03-04", reprocess: "failed" });
    expect(failed.plan).toEqual({ create: [], clear: [iso("2024-03-02")], skip: ["01", "03", "04"].map((x) => iso(`2024-03-${x}`)) });
    await waitForState(failed.backfill!.id, "completed");
    expect((await runsIn("2024-03-01", "2024-03-04")).map((r) => [r.state, r.try_number])).toEqual([["success", 1], ["success", 2], ["success", 1], ["success", 1]]);
    expect((await get(failed.backfill!.id)).dates.map((d) => [d.action, d.state])).toEqual([["skip", "success"], ["clear", "success"], ["skip", "success"], ["skip", "success"]]);

    const all = await backfill({ from: "2024-03-01", to: "2024-03-05", reprocess: "all" });
    expect(all.plan).toEqual({ create: [iso("2024-03-05")], clear: ["01", "02", "03", "04"].map((x) => iso(`2024-03-${x}`)), skip: [] });
    await waitForState(all.backfill!.id, "completed");
    expect((await runsIn("2024-03-01", "2024-03-05")).map((r) => [r.state, r.try_number])).toEqual([["success", 2], ["success", 3], ["success", 2], ["success", 2], ["success", 1]]);
  });

  it("pause stops launching runs; resume continues to the end", async () => {
    const { backfill: b } = await backfill({ from: "2024-04-01", to: "2024-04-08", maxActiveRuns: 1 });
    const paused = await post<BackfillDetail>(`/api/backfills/${b!.id}/pause`, {}, 200);
    expect(paused.state).toBe("paused");
    const launchedAtPause = paused.dates.filter((d) => d.dagRunId !== null).length;
    expect(launchedAtPause).toBeLessThanOrEqual(1);
    // Several scheduler ticks (100 ms each) go by; a paused backfill launches nothing.
    await new Promise((r) => setTimeout(r, 600));
    expect((await get(b!.id)).dates.filter((d) => d.dagRunId !== null).length).toBe(launchedAtPause);
    expect((await s.call("operator", `/api/backfills/${b!.id}/pause`, { body: {} })).status).toBe(409);
    expect((await post<BackfillDetail>(`/api/backfills/${b!.id}/resume`, {}, 200)).state).toBe("running");
    const done = await waitForState(b!.id, "completed");
    expect(done.progress).toMatchObject({ total: 8, success: 8 });
  });

  it("cancel stops creating runs, cancels the active ones and keeps the finished ones", async () => {
    const { backfill: b } = await backfill({ from: "2024-05-01", to: "2024-05-30", maxActiveRuns: 2 });
    await waitFor("a finished run", async () => ((await get(b!.id)).progress.success >= 2 ? true : undefined));
    const canceled = await post<BackfillDetail>(`/api/backfills/${b!.id}/cancel`, {}, 200);
    expect(canceled.state).toBe("canceled");
    expect(canceled.progress.queued + canceled.progress.running).toBe(0);
    expect(canceled.progress.success).toBeGreaterThanOrEqual(2);
    expect(canceled.progress.pending).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 400));
    const later = await get(b!.id);
    expect(later.dates.filter((d) => d.dagRunId !== null).length).toBe(canceled.dates.filter((d) => d.dagRunId !== null).length);
    expect((await s.env.db("dag_runs").where({ backfill_id: b!.id }).whereIn("state", ["queued", "running"])).length).toBe(0);
    expect((await s.call("operator", `/api/backfills/${b!.id}/cancel`, { body: {} })).status).toBe(409);
  });

  it("fresh first: a 200-date backfill on 2 worker slots delays a new run by at most about one task", async () => {
    // Backfill tasks take 400 ms; the fresh run's task the default 100 ms.
    const { backfill: b } = await backfill({ from: "2024-06-01", to: "2024-12-17", maxActiveRuns: 50, conf: { sleepMs: BACKFILL_TASK_MS } });
    expect(b!.progress.total).toBe(200);
    await waitFor("backfill busy", async () => ((await get(b!.id)).progress.success >= 2 ? true : undefined));
    // A backlog: first-come-first-served would make a new task wait >= 12 x 400 ms / 2 slots = 2.4 s.
    const backlogOf = async () => Number((await s.env.db("task_instances as t").join("dag_runs as r", "r.id", "t.dag_run_id").where("r.backfill_id", b!.id).whereIn("t.state", ["queued", "scheduled"]).count<{ n: string }>("* as n").first())?.n);
    await waitFor("a backlog of 12 backfill tasks", async () => ((await backlogOf()) >= 12 ? true : undefined));
    const fresh = await trigger(s.engine.rt, "daily_one", {}, new Date("2024-12-25T00:00:00Z"));
    expect(await waitForRunEnd(s.env.db, fresh)).toBe("success");
    const row = await s.env.db("dag_runs as r").join("task_instances as t", "t.dag_run_id", "r.id").where("r.id", fresh).select("r.created_at", "t.start_date").first<{ created_at: Date; start_date: Date }>();
    const delay = row.start_date.getTime() - row.created_at.getTime();
    // One scheduler tick (100 ms) to start the run, at most one backfill task (400 ms) holding the
    // slot, and overhead (generous: CI runs two test files at once): well under the 2.4 s a
    // first-come-first-served queue would cost.
    expect(delay).toBeLessThan(BACKFILL_TASK_MS + 100 + 700);
    const progress = (await get(b!.id)).progress;
    expect(progress.pending).toBeGreaterThan(0);
    expect((await post<BackfillDetail>(`/api/backfills/${b!.id}/cancel`, {}, 200)).state).toBe("canceled");
    console.log(`fresh run waited ${delay} ms to start behind a ${progress.total}-date backfill (${progress.success} done)`);
  });
});
