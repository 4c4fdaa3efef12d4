import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerIntervalResponse } from "../../server/src/api/contract";
import { BACKFILL_ID, backfillCreated, backfillDetail, backfillList, backfillPlan, backfillRange } from "../fixtures/backfill";
import { dagListFixture } from "../fixtures/dagList";
import { failedTaskInstance, failedTaskLog, helloDetail, helloGrid, helloRun, runningLateInstance, waitingSensorInstance } from "../fixtures/dashboard";
import { WIDE_RUNS, WIDE_TASKS, wideDetail, wideGridPage } from "../fixtures/wideGrid";
import { launchBrowser } from "../helpers/browser";
import { REPO_ROOT, artifactPath } from "../helpers/paths";
import { SseAnswer, StatusAnswer, startStaticSite, type FakeRequest, type StaticSite } from "../helpers/staticSite";

// The built dashboard's DAG page, task instance panel, trigger dialog and login against canned
// API answers typed by the server's contract: the UI is tested without the engine.
const WEB_DIST = join(REPO_ROOT, "web", "dist");

let browser: Browser;
let site: StaticSite;
let page: Page;
let loggedIn = false;
let backfillState: "running" | "paused" = "running";
const posts: FakeRequest[] = [];
const problems: string[] = [];
const record = (answer: unknown) => (req: FakeRequest) => {
  if (req.method === "POST") posts.push(req);
  return answer;
};

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, "index.html"))) throw new Error(`${WEB_DIST} is missing: run pnpm --filter runnel-web build first`);
  const failed = failedTaskInstance();
  const ref = { id: failed.id, taskId: failed.taskId, state: failed.state, tryNumber: 2 };
  const downstreamRef = { id: failed.id + 1, taskId: "report", state: "upstream_failed" as const, tryNumber: 0 };
  site = await startStaticSite(WEB_DIST, {
    "/api/auth/me": () => (loggedIn ? { username: "admin", role: "admin" } : new StatusAnswer(401, { error: { code: "unauthenticated", message: "log in first" } })),
    "/api/auth/login": (req) => {
      const body = req.body as { username?: string; password?: string };
      loggedIn = body.username === "admin" && body.password === "secret";
      return loggedIn ? { username: "admin", role: "admin" } : new StatusAnswer(401, { error: { code: "bad_credentials", message: "wrong username or password" } });
    },
    "/api/dags": () => {
      const list = dagListFixture();
      // wide.ts fails to load now: its DAG page shows the error above the last good version.
      list.importErrors.push({ fileloc: "wide.ts", message: "wide.ts:3:1 Cannot find module './lib/<b>steps</b>'", createdAt: new Date().toISOString() });
      return list;
    },
    "/api/dags/wide": () => wideDetail(),
    "/api/dags/wide/grid": (req) => wideGridPage(req.url),
    "/api/dags/hello": (req) => helloDetail(new URL(req.url, "http://x").searchParams.get("versionId") === "1" ? 1 : 2),
    "/api/dags/hello/grid": () => helloGrid(),
    "/api/dags/hello/trigger": record({ dagId: "hello", runId: "manual__x", dagRunId: 4 }),
    "/api/dags/hello/trigger-interval": (req) => {
      // As the server answers at 18:51 on 2026-12-01 for @daily: the last complete interval, or the one at the date given.
      const given = new URL(req.url, "http://x").searchParams.get("logicalDate");
      const answer: TriggerIntervalResponse = given
        ? { dagId: "hello", logicalDate: given, dataIntervalStart: given, dataIntervalEnd: new Date(new Date(given).getTime() + 86_400_000).toISOString(), inferred: false }
        : { dagId: "hello", logicalDate: "2026-11-30T00:00:00.000Z", dataIntervalStart: "2026-11-30T00:00:00.000Z", dataIntervalEnd: "2026-12-01T00:00:00.000Z", inferred: true };
      return answer;
    },
    "/api/runs": () => ({ runs: helloGrid().runs.map((r) => ({ ...helloRun(r.dagRunId), conf: undefined, taskInstances: undefined })), nextCursor: null }),
    "/api/runs/2": () => helloRun(2),
    "/api/runs/2/checks": () => ({ dagRunId: 2, checks: [] }),
    "/api/runs/3/checks": () => ({ dagRunId: 3, checks: [] }),
    "/api/runs/3": () => helloRun(3),
    "/api/runs/1": () => helloRun(1),
    "/api/runs/1/checks": () => ({ dagRunId: 1, checks: [] }),
    "/api/runs/2/clear": (req) => {
      if (req.method === "POST") posts.push(req);
      const body = req.body as { downstream?: boolean; dryRun?: boolean };
      return { dryRun: body.dryRun === true, cleared: body.downstream ? [ref, downstreamRef] : [ref], skipped: [] };
    },
    [`/api/task-instances/${failed.id}`]: () => failed,
    [`/api/task-instances/${failed.id}/logs`]: () => failedTaskLog(),
    [`/api/task-instances/${failed.id}/logs/stream`]: () =>
      new SseAnswer([{ event: "log", data: { id: 3, tryNumber: 2, ts: failed.attempts[1]!.endDate, level: "info", message: "streamed line after the page" } }]),
    "/api/events": () => new SseAnswer([]),
    "/api/dead-letters/counts": () => ({ counts: [], errors: [] }),
    "/api/task-instances/31": () => runningLateInstance(),
    "/api/task-instances/31/logs": () => ({ lines: [], lastId: 0, hasMore: false }),
    "/api/task-instances/31/logs/stream": () => new SseAnswer([]),
    "/api/task-instances/9001": () => waitingSensorInstance(),
    "/api/task-instances/9001/logs": () => ({ lines: [], lastId: 0, hasMore: false }),
    "/api/task-instances/9001/logs/stream": () => new SseAnswer([]),
    "/api/dags/hello/backfills": (req) => {
      const body = req.body as { from: string; to: string; dryRun?: boolean };
      if (body.dryRun !== true) posts.push(req);
      if (body.to < body.from) return new StatusAnswer(400, { error: { code: "bad_request", message: "to (2024-03-01) is before from (2024-03-05)" } });
      return body.dryRun === true ? { dryRun: true, plan: backfillPlan(), range: backfillRange(body.from), backfill: null } : backfillCreated();
    },
    "/api/backfills": () => backfillList(),
    [`/api/backfills/${BACKFILL_ID}`]: () => backfillDetail(backfillState),
    [`/api/backfills/${BACKFILL_ID}/pause`]: (req) => {
      posts.push(req);
      backfillState = "paused";
      return backfillDetail(backfillState);
    },
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  watch(page);
});

/** Collects console errors (CSP violations, script errors) of `p`; a failed login's 401 and the backfill preview's 400 are expected. */
function watch(p: Page): void {
  p.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 40[01]\b/.test(msg.text()) && !msg.text().includes("401")) problems.push(msg.text());
  });
  p.on("pageerror", (err) => problems.push(err.message));
}

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe("dashboard against canned API answers", () => {
  it("logs in through the form and lands where it was going", async () => {
    await page.goto(`${site.baseUrl}/login?next=${encodeURIComponent("/dags/hello")}`);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").getByText("wrong username or password").waitFor();
    await page.screenshot({ path: artifactPath("login.png") });
    await page.getByLabel("Password").fill("secret");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "hello" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/dags/hello");
  });

  it("shows the grid with a state in words for every cell", async () => {
    const grid = page.getByRole("table", { name: "Grid of hello" });
    await grid.waitFor();
    await grid.getByRole("button", { name: "count_letters on 2024-01-07: failed" }).waitFor();
    await expect(grid.getByRole("button", { name: "report on 2024-01-07: upstream failed" }).isVisible()).resolves.toBe(true);
    await expect(grid.getByRole("button", { name: "count_letters on 2024-01-08: running" }).isVisible()).resolves.toBe(true);
    await expect(grid.getByRole("button", { name: /: success$/ }).count()).resolves.toBe(5);
    await page.screenshot({ path: artifactPath("dag-grid.png"), fullPage: true });
  });

  it("opens a task instance: attempts, log as text, retry with a dry-run confirmation", async () => {
    await page.getByRole("button", { name: "count_letters on 2024-01-07: failed" }).click();
    const panel = page.getByRole("complementary", { name: "Task instance count_letters" });
    await panel.getByRole("table", { name: "Attempts" }).waitFor();
    await panel.getByText("Error: greeting was empty", { exact: true }).waitFor();
    await panel.getByText("streamed line after the page").waitFor();
    await expect(panel.getByText("Error: greeting was empty <img src=x onerror=alert(1)>").isVisible()).resolves.toBe(true);
    await expect(page.locator("img").count()).resolves.toBe(0);
    await page.screenshot({ path: artifactPath("task-instance.png"), fullPage: true });

    await panel.getByLabel("with downstream").check();
    await panel.getByRole("button", { name: "Retry" }).click();
    const dialog = page.getByRole("dialog", { name: "Retry count_letters and downstream" });
    const affected = dialog.getByRole("list", { name: "Task instances affected" });
    await affected.waitFor();
    await expect(affected.getByRole("listitem").count()).resolves.toBe(2);
    await page.screenshot({ path: artifactPath("retry-confirm.png") });
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await dialog.waitFor({ state: "hidden" });
    const clears = posts.filter((p) => p.url.endsWith("/clear")).map((p) => p.body);
    expect(clears).toContainEqual({ taskIds: ["count_letters"], downstream: true, failedOnly: false, dryRun: true });
    expect(clears.at(-1)).toEqual({ taskIds: ["count_letters"], downstream: true, failedOnly: false, dryRun: false });
  });

  it("triggers with a form generated from the params schema", async () => {
    await page.getByRole("button", { name: "Close task instance" }).click();
    await page.getByRole("button", { name: "Trigger" }).click();
    const dialog = page.getByRole("dialog", { name: "Trigger hello" });
    const covered = dialog.getByRole("status", { name: "Interval covered" });
    await covered.getByText("This run covers [2026-11-30, 2026-12-01), the last complete interval, logical date 2026-11-30.").waitFor();
    await dialog.getByLabel("Logical date (UTC, optional)").fill("2024-03-05T00:00");
    await covered.getByText("This run covers [2024-03-05, 2024-03-06), logical date 2024-03-05.").waitFor();
    await dialog.getByLabel("Logical date (UTC, optional)").fill("");
    await covered.getByText(/the last complete interval/).waitFor();
    await dialog.getByLabel("name").fill("Ada");
    await dialog.getByLabel("repeat").fill("3");
    await dialog.getByLabel("shout").check();
    await dialog.getByLabel("language").selectOption("fr");
    await page.screenshot({ path: artifactPath("trigger.png") });
    await dialog.getByRole("button", { name: "Trigger" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(posts.find((p) => p.url.endsWith("/trigger"))?.body).toEqual({ conf: { name: "Ada", repeat: 3, shout: true, language: "fr" } });
  });

  it("draws the graph coloured by the latest run", async () => {
    await page.getByRole("tab", { name: "Graph" }).click();
    await page.getByRole("figure", { name: "Graph of hello" }).waitFor();
    await page.getByText("count_letters", { exact: true }).waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: artifactPath("dag-graph.png"), fullPage: true });
  });

  it("draws the selected run as a Gantt chart with a time axis and named bars", async () => {
    await page.getByRole("tab", { name: "Gantt" }).click();
    const gantt = page.getByRole("figure", { name: "Gantt of hello" });
    await gantt.waitFor();
    // The grid click above selected run 2 (?run=2): say_hello ran, count_letters failed, report never started.
    await expect(page.getByLabel("Run", { exact: true }).inputValue()).resolves.toBe("2");
    await gantt.getByRole("button", { name: "say_hello: success, 1.0 s" }).waitFor();
    await expect(gantt.getByRole("button", { name: "count_letters: failed, 1.0 s" }).isVisible()).resolves.toBe(true);
    await expect(gantt.getByRole("button", { name: "report: upstream failed, not started" }).isVisible()).resolves.toBe(true);
    await expect(gantt.getByText("00:00:03", { exact: true }).isVisible()).resolves.toBe(true);
    // Later tasks start further right, and the queued second is drawn before the run.
    const box = async (name: string) => (await gantt.getByRole("button", { name }).boundingBox())!;
    const first = await box("say_hello: success, 1.0 s");
    const second = await box("count_letters: failed, 1.0 s");
    expect(second.x).toBeGreaterThan(first.x);
    expect(first.width).toBeGreaterThan(20);
    await page.screenshot({ path: artifactPath("dag-gantt.png"), fullPage: true });
    await gantt.getByRole("button", { name: "count_letters: failed, 1.0 s" }).click();
    await page.getByRole("complementary", { name: "Task instance count_letters" }).waitFor();
    await page.getByRole("button", { name: "Close task instance" }).click();
  });

  it("lists runs and shows the code as text", async () => {
    await page.getByRole("tab", { name: "Runs" }).click();
    await page.getByRole("table", { name: "Runs of hello" }).waitFor();
    await page.screenshot({ path: artifactPath("dag-runs.png"), fullPage: true });
    // No run selected: the latest version.
    await page.goto(`${site.baseUrl}/dags/hello?tab=code`);
    await page.getByText('greeting: "<b>hi</b>"', { exact: false }).waitFor();
    await expect(page.locator("main b").count()).resolves.toBe(0);
    await page.screenshot({ path: artifactPath("dag-code.png"), fullPage: true });
    // An older version, picked by hand; and the version a run used, from ?run=.
    await page.getByLabel("Version").selectOption("1");
    await page.getByText("// version 1: the first draft").waitFor();
    await page.goto(`${site.baseUrl}/dags/hello?tab=code&run=2`);
    await page.getByText("the version run", { exact: false }).waitFor();
    await page.getByText("// version 1: the first draft").waitFor();
  });

  it("shows a waiting sensor's first poke, poke count and next poke", async () => {
    await page.goto(`${site.baseUrl}/dags/hello?ti=9001`);
    const status = page.getByRole("complementary", { name: "Task instance say_hello" }).getByRole("status");
    await status.waitFor();
    await expect(status.textContent()).resolves.toBe("Sensor waiting since 2024-01-08 00:00 UTC · 3 pokes so far · next poke at 2024-01-08 00:04 UTC");
  });

  it("marks a dags test run as a test run in the grid, the runs table and on its page", async () => {
    await page.goto(`${site.baseUrl}/dags/hello`);
    const grid = page.getByRole("table", { name: "Grid of hello" });
    await grid.getByRole("link", { name: "Run 2024-01-06 (test run): success" }).waitFor();
    await expect(grid.getByRole("link", { name: /\(test run\)/ }).count()).resolves.toBe(1);
    await expect(grid.getByText("test", { exact: true }).count()).resolves.toBe(1);
    await page.getByRole("tab", { name: "Runs" }).click();
    const runs = page.getByRole("table", { name: "Runs of hello" });
    await runs.waitFor();
    await expect(runs.getByRole("row").filter({ hasText: "test__" }).getByText("test", { exact: true }).count()).resolves.toBe(1);
    await expect(runs.getByRole("row").filter({ hasText: "scheduled__2024-01-07" }).getByText("scheduled", { exact: true }).count()).resolves.toBe(1);
    await page.goto(`${site.baseUrl}/runs/1`);
    await page.getByRole("table", { name: "Task instances" }).waitFor();
    const badge = page.locator("main").getByText("test", { exact: true }).first();
    await expect(badge.getAttribute("title")).resolves.toContain("runnel dags test");
    await page.goto(`${site.baseUrl}/runs/2`);
    await page.getByRole("table", { name: "Task instances" }).waitFor();
    await expect(page.locator("main").getByText("test", { exact: true }).count()).resolves.toBe(0);
  });

  it("shows a run page", async () => {
    await page.goto(`${site.baseUrl}/runs/2`);
    await page.getByRole("table", { name: "Task instances" }).waitFor();
    await page.screenshot({ path: artifactPath("run.png"), fullPage: true });
  });

  it("renders a 25-run page of a 20-task grid quickly and appends pages with Load more", async () => {
    await page.goto(`${site.baseUrl}/dags/wide`);
    const grid = page.getByRole("table", { name: "Grid of wide" });
    // Measured in the page: from navigation start until all 25 x 20 cells are in the DOM.
    await page.waitForFunction((n) => document.querySelectorAll('table[aria-label="Grid of wide"] tbody button').length === n, 25 * WIDE_TASKS.length, { polling: "raf", timeout: 10_000 });
    const renderedAt = await page.evaluate(() => performance.now());
    expect(renderedAt, `first grid page rendered ${Math.round(renderedAt)} ms after navigation`).toBeLessThan(1500);
    await expect(grid.getByRole("row").count()).resolves.toBe(1 + WIDE_TASKS.length);
    await grid.getByRole("button", { name: `step_09 on 2024-04-09: running` }).waitFor();
    await expect(page.getByText("25 runs shown").isVisible()).resolves.toBe(true);
    await page.screenshot({ path: artifactPath("dag-grid-wide.png") });

    for (let shown = 50; shown <= WIDE_RUNS; shown += 25) {
      await page.getByRole("button", { name: "Load more" }).click();
      await page.getByText(`${shown} runs shown`).waitFor();
      await expect(grid.getByRole("button", { name: /^step_20 on / }).count()).resolves.toBe(shown);
    }
    // The oldest run arrived with the last page, and there is nothing more to load.
    await grid.getByRole("button", { name: "step_01 on 2024-01-01: success" }).waitFor();
    await expect(page.getByRole("button", { name: "Load more" }).count()).resolves.toBe(0);
  });

  it("shows the import error of the DAG's file on its page, as text", async () => {
    const alert = page.getByRole("alert", { name: "Import error of wide.ts" });
    await alert.waitFor();
    await expect(alert.getByText("wide.ts:3:1 Cannot find module './lib/<b>steps</b>'").isVisible()).resolves.toBe(true);
    await expect(page.locator("main b").count()).resolves.toBe(0);
  });

  it("follows the dark colour scheme", async () => {
    const dark = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: "dark" });
    watch(dark);
    try {
      await dark.goto(`${site.baseUrl}/dags/hello?ti=${failedTaskInstance().id}&run=2`);
      await dark.getByRole("complementary", { name: "Task instance count_letters" }).getByRole("table", { name: "Attempts" }).waitFor();
      const background = await dark.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      expect(background).toBe("rgb(13, 17, 23)");
      await dark.screenshot({ path: artifactPath("dark-task-instance.png"), fullPage: true });
      await dark.goto(`${site.baseUrl}/dags/hello?tab=gantt&run=2`);
      await dark.getByRole("figure", { name: "Gantt of hello" }).getByRole("button", { name: "say_hello: success, 1.0 s" }).waitFor();
      await dark.screenshot({ path: artifactPath("dark-gantt.png") });
      await dark.goto(`${site.baseUrl}/`);
      await dark.getByRole("table", { name: "DAGs" }).waitFor();
      await dark.screenshot({ path: artifactPath("dark-dags.png"), fullPage: true });
    } finally {
      await dark.close();
    }
  });

  it("previews a backfill (server's 400 as an alert), starts it and follows its page", async () => {
    await page.goto(`${site.baseUrl}/dags/hello`);
    await page.getByRole("button", { name: "Backfill", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Backfill hello" });
    await dialog.getByLabel("From", { exact: true }).fill("2024-03-05");
    await dialog.getByLabel("To", { exact: true }).fill("2024-03-01");
    await dialog.getByRole("alert").getByText("to (2024-03-01) is before from (2024-03-05)").waitFor();
    // A range starting before the DAG's start date is clipped, and the dialog says so.
    await dialog.getByLabel("From", { exact: true }).fill("2024-02-27");
    await dialog.getByLabel("To", { exact: true }).fill("2024-03-05");
    const outside = dialog.getByRole("note", { name: "Outside the DAG's dates" });
    await outside.getByText("Not backfilled, outside the DAG's dates: 2024-02-27 up to its start date 2024-03-01.").waitFor();
    await outside.getByText("Backfilling 2024-03-01 to 2024-03-05.").waitFor();
    await page.screenshot({ path: artifactPath("backfill-dialog-clipped.png") });
    await dialog.getByLabel("From", { exact: true }).fill("2024-03-01");
    await outside.waitFor({ state: "detached" });
    await dialog.getByLabel("Max active runs").fill("2");
    const toCreate = dialog.getByRole("list", { name: /Dates to create/ });
    await toCreate.waitFor();
    await expect(toCreate.getByRole("listitem").allInnerTexts()).resolves.toEqual(["2024-03-01", "2024-03-02", "2024-03-04", "2024-03-05"]);
    await expect(dialog.getByRole("list", { name: /Dates skipped/ }).getByRole("listitem").allInnerTexts()).resolves.toEqual(["2024-03-03"]);
    await dialog.getByText("4 runs", { exact: true }).waitFor();
    await page.screenshot({ path: artifactPath("backfill-dialog-fake.png") });
    await dialog.getByRole("button", { name: "Start backfill" }).click();
    await page.waitForURL(`**/backfills/${BACKFILL_ID}`);
    const created = posts.filter((p) => p.url.endsWith("/backfills")).at(-1);
    expect(created?.body).toEqual({ from: "2024-03-01", to: "2024-03-05", reprocess: "missing", order: "oldest", maxActiveRuns: 2, dryRun: false });

    const bar = page.getByRole("progressbar", { name: "Backfill progress" });
    await bar.waitFor();
    await expect(bar.getAttribute("aria-valuenow")).resolves.toBe("50");
    await expect(bar.getAttribute("aria-valuemax")).resolves.toBe("100");
    await page.getByText("ETA about 1 min 35 s", { exact: false }).waitFor();
    const dates = page.getByRole("table", { name: "Backfill dates" });
    await dates.getByRole("row", { name: /2024-03-02 create failed/ }).waitFor();
    await dates.getByRole("row", { name: /2024-03-05 create not started/ }).waitFor();
    await expect(dates.getByText("backfill__2024-03-02 <b>x</b>").isVisible()).resolves.toBe(true);
    await page.screenshot({ path: artifactPath("backfill-page-fake.png"), fullPage: true });

    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("button", { name: "Resume" }).waitFor();
    expect(posts.at(-1)?.url).toBe(`/api/backfills/${BACKFILL_ID}/pause`);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Backfills" }).click();
    await page.getByRole("table", { name: "Backfills" }).getByRole("link", { name: `Backfill #${BACKFILL_ID}` }).waitFor();
    await page.goto(`${site.baseUrl}/dags/hello?tab=backfills`);
    await page.getByRole("table", { name: "Backfills of hello" }).getByRole("progressbar", { name: "Backfill progress" }).waitFor();
  });

  it("marks missed deadlines: the run's column and the cells in the grid, the run page, the task panel", async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${site.baseUrl}/dags/hello`);
    const grid = page.getByRole("table", { name: "Grid of hello" });
    await grid.getByRole("link", { name: "Run 2024-01-07: failed, missed its deadline by 14m", exact: true }).waitFor();
    await expect(grid.getByRole("button", { name: "count_letters on 2024-01-07: failed, missed its deadline by 21s", exact: true }).isVisible()).resolves.toBe(true);
    await expect(grid.getByRole("button", { name: "count_letters on 2024-01-08: running, missed its deadline, not finished 5m after it", exact: true }).isVisible()).resolves.toBe(true);
    // Only those: run 3 is not due yet, other cells have no deadline.
    await expect(grid.getByRole("link", { name: /missed its deadline/ }).count()).resolves.toBe(1);
    await expect(grid.getByRole("button", { name: /missed its deadline/ }).count()).resolves.toBe(2);
    await expect(page.getByText("missed its deadline", { exact: true }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: artifactPath("deadline-grid.png"), fullPage: true });

    await page.goto(`${site.baseUrl}/runs/2`);
    const tasks = page.getByRole("table", { name: "Task instances" });
    await tasks.waitFor();
    await expect(page.locator("main").getByRole("status").filter({ hasText: "deadline" }).textContent()).resolves.toBe("Missed its deadline (due 2024-01-07 23:46 UTC, finished 14m late)");
    await expect(tasks.getByRole("img", { name: "Missed its deadline (due 00:00:11 UTC, finished 21s late)" }).textContent()).resolves.toBe("late 21s");
    await expect(page.getByText("· missed", { exact: true }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: artifactPath("deadline-run.png"), fullPage: true });

    await page.goto(`${site.baseUrl}/runs/3?ti=31`);
    const panel = page.getByRole("complementary", { name: "Task instance count_letters" });
    const still = panel.getByRole("status").filter({ hasText: "deadline" });
    await still.waitFor();
    await expect(still.textContent()).resolves.toMatch(/^Still running 5m past its deadline \(due .+ UTC\)$/);
    // The run itself is due in 2 hours: no warning, the facts say it is ahead.
    await page.getByText("· ahead", { exact: true }).waitFor();
    await expect(page.locator("main > [role=status]").count()).resolves.toBe(0);
    await expect(tasks.getByRole("img", { name: /^Still running 5m past its deadline/ }).textContent()).resolves.toBe("late 5m");
    await page.screenshot({ path: artifactPath("deadline-task-running.png"), fullPage: true });

    // 390 px wide, light and dark.
    for (const colorScheme of ["light", "dark"] as const) {
      const narrow = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme });
      watch(narrow);
      try {
        await narrow.goto(`${site.baseUrl}/dags/hello`);
        await narrow.getByRole("link", { name: /missed its deadline by 14m/ }).waitFor();
        await narrow.screenshot({ path: artifactPath(`deadline-grid-390-${colorScheme}.png`), fullPage: true });
        await narrow.goto(`${site.baseUrl}/runs/2?ti=${failedTaskInstance().id}`);
        await narrow.getByRole("complementary", { name: "Task instance count_letters" }).getByRole("status").filter({ hasText: "Missed its deadline (due 00:00:11 UTC, finished 21s late)" }).waitFor();
        await narrow.screenshot({ path: artifactPath(`deadline-run-390-${colorScheme}.png`), fullPage: true });
      } finally {
        await narrow.close();
      }
    }
    const dark = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: "dark" });
    watch(dark);
    try {
      await dark.goto(`${site.baseUrl}/runs/3?ti=31`);
      await dark.getByRole("complementary", { name: "Task instance count_letters" }).getByRole("status").filter({ hasText: "Still running" }).waitFor();
      await dark.screenshot({ path: artifactPath("deadline-task-running-dark.png"), fullPage: true });
      await dark.goto(`${site.baseUrl}/dags/hello`);
      await dark.getByRole("link", { name: /missed its deadline by 14m/ }).waitFor();
      await dark.screenshot({ path: artifactPath("deadline-grid-dark.png") });
    } finally {
      await dark.close();
    }
  });

  it("runs under the strict CSP without console errors", () => {
    expect(problems).toEqual([]);
  });
});
