import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dagListFixture } from "../fixtures/dagList";
import { launchBrowser } from "../helpers/browser";
import { REPO_ROOT, artifactPath } from "../helpers/paths";
import { SseAnswer, startStaticSite, type StaticSite } from "../helpers/staticSite";

// The built dashboard against a canned /api/dags, so the UI is tested without the engine.
const WEB_DIST = join(REPO_ROOT, "web", "dist");

let browser: Browser;
let site: StaticSite;
let page: Page;
let answer = dagListFixture();
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, "index.html"))) throw new Error(`${WEB_DIST} is missing: run pnpm --filter runnel-web build first`);
  site = await startStaticSite(WEB_DIST, {
    "/api/dags": () => answer,
    "/api/auth/me": () => ({ username: "viewer", role: "viewer" }),
    "/api/events": () => new SseAnswer([]),
    "/api/dead-letters/counts": () => ({ counts: [], errors: [] }),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  await page.goto(site.baseUrl);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe("DAG list against a fixed API answer", () => {
  it("shows every DAG in the table named DAGs", async () => {
    const table = page.getByRole("table", { name: "DAGs" });
    await table.waitFor();
    for (const id of ["customer_analytics", "hello", "hourly_events_rollup", "warehouse_vacuum"]) {
      await expect(table.getByRole("rowheader", { name: id }).isVisible()).resolves.toBe(true);
    }
    await page.screenshot({ path: artifactPath("dags-fixture.png"), fullPage: true });
  });

  it("names run states and pause status in words, not only colours", async () => {
    const row = (id: string) => page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: id }) });
    await expect(row("customer_analytics").getByText("running", { exact: true }).first().isVisible()).resolves.toBe(true);
    await expect(row("hourly_events_rollup").getByText("Paused", { exact: true }).isVisible()).resolves.toBe(true);
    await expect(row("hourly_events_rollup").getByText("failed", { exact: true }).isVisible()).resolves.toBe(true);
    const history = page.getByRole("list", { name: "Recent runs of customer_analytics" });
    await expect(history.getByRole("listitem").count()).resolves.toBe(8);
    await expect(history.getByText(/^canceled, \d{4}-\d{2}-\d{2}$/).count()).resolves.toBe(1);
    await expect(row("warehouse_vacuum").getByText("No runs yet").isVisible()).resolves.toBe(true);
  });

  it("announces import errors in an alert, as text", async () => {
    const alert = page.getByRole("alert");
    await expect(alert.getByText("1 DAG file failed to load").isVisible()).resolves.toBe(true);
    await expect(alert.getByText("broken_orders.ts", { exact: true }).isVisible()).resolves.toBe(true);
    await expect(alert.getByText(/depends on unknown task "transfrom"/).isVisible()).resolves.toBe(true);
  });

  it("picks up changes by polling", async () => {
    const next = dagListFixture();
    next.dags.push({ dagId: "new_<b>pipeline</b>", schedule: null, scheduleDatasets: null, scheduleDescription: "Manual only", isPaused: false, nextRunAt: null, recentRuns: [] });
    next.importErrors = [];
    answer = next;
    // User data is rendered as text: the markup shows up literally, never as an element.
    await page.getByRole("rowheader", { name: "new_<b>pipeline</b>" }).waitFor({ timeout: 10_000 });
    await expect(page.locator("b").count()).resolves.toBe(0);
    await page.getByRole("alert").waitFor({ state: "detached" });
  });

  it("runs under the strict CSP without console errors", () => {
    expect(problems).toEqual([]);
  });
});
