import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHANNELS, FakeAlerts, RUN_FAILED, TASK_FAILED, TEST_ALERT_ID, XSS_ERROR } from "../fixtures/alerts";
import { dagListFixture } from "../fixtures/dagList";
import { launchBrowser } from "../helpers/browser";
import { REPO_ROOT, artifactPath } from "../helpers/paths";
import { SseAnswer, startStaticSite, type FakeRequest, type StaticSite } from "../helpers/staticSite";

// The built dashboard's Alerts page against canned API answers typed by the contract: every event
// newest first with its delivery per channel, errors as text, filters in the URL, a test alert whose
// delivery the page follows until sent, resend, viewers read-only, and a layout that holds at 390 px.
const WEB_DIST = join(REPO_ROOT, "web", "dist");

let browser: Browser;
let site: StaticSite;
let page: Page;
let role: "operator" | "viewer" = "operator";
const fake = new FakeAlerts();
const requests: FakeRequest[] = [];
const problems: string[] = [];
const logged =
  (answer: (req: FakeRequest) => unknown) =>
  (req: FakeRequest): unknown => {
    requests.push(req);
    return answer(req);
  };

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, "index.html"))) throw new Error(`${WEB_DIST} is missing: run pnpm --filter runnel-web build first`);
  site = await startStaticSite(WEB_DIST, {
    "/api/auth/me": () => ({ username: `ops_${role}`, role }),
    "/api/events": () => new SseAnswer([]),
    "/api/dags": () => dagListFixture(),
    "/api/dead-letters/counts": () => ({ counts: [], errors: [] }),
    "/api/alerts": logged((req) => fake.list(req.url)),
    "/api/alerts/channels": () => CHANNELS,
    "/api/alerts/test": logged((req) => fake.sendTest((req.body as { channel: "webhook" }).channel, `ops_${role}`)),
    [`/api/alerts/${TEST_ALERT_ID}`]: () => fake.readTest(),
    "/api/alerts/deliveries/12/resend": logged(() => fake.resend(12)),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

const events = (): ReturnType<Page["getByRole"]> => page.getByRole("list", { name: "Alert events" });
const article = (name: string): ReturnType<Page["getByRole"]> => events().getByRole("article", { name, exact: true });
const articleNames = async (): Promise<string[]> => events().getByRole("article").evaluateAll((els) => els.map((e) => document.getElementById(e.getAttribute("aria-labelledby") ?? "")?.textContent ?? ""));
const listQueries = (): URLSearchParams[] => requests.filter((r) => r.method === "GET" && r.url.startsWith("/api/alerts?")).map((r) => new URL(r.url, "http://x").searchParams);

describe("Alerts page against canned API answers", () => {
  it("lists every event newest first: what, which DAG/run/task (linked), when, the error as text, and each channel's delivery", async () => {
    await page.goto(`${site.baseUrl}/`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
    await page.getByRole("heading", { name: "Alerts" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/alerts");
    expect(await page.getByRole("link", { name: "Alerts" }).getAttribute("aria-current")).toBe("page");

    await article("Task failed: customer_analytics / extract_orders").waitFor();
    expect(await articleNames()).toEqual(["Run failed: hello", "Dead letters over threshold: customer_analytics", "Deadline missed: customer_segments", "Run failed: customer_analytics", "Task failed: customer_analytics / extract_orders"]);

    const failed = article("Task failed: customer_analytics / extract_orders");
    expect(await failed.getByRole("link", { name: "DAG customer_analytics" }).getAttribute("href")).toBe("/dags/customer_analytics");
    expect(await failed.getByRole("link", { name: `Run ${TASK_FAILED.runId}` }).getAttribute("href")).toBe("/runs/77");
    expect(await failed.getByRole("link", { name: "Task extract_orders" }).getAttribute("href")).toBe("/runs/77?ti=501");
    await failed.getByText("try 3").waitFor();
    await failed.getByText("30 min ago").waitFor();
    // The error is text: the <img> in it is not an element, and its onerror never ran.
    expect(await failed.locator(".alert-error").innerText()).toBe(XSS_ERROR);
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.title()).not.toBe("pwned");

    const deliveries = failed.getByRole("list", { name: "Deliveries" });
    const slack = deliveries.getByRole("listitem", { name: "Slack delivery" });
    await slack.getByText("failing").waitFor();
    await slack.getByText("3 attempts").waitFor();
    await slack.getByText("HTTP 500 from hooks.slack.com").waitFor();
    await slack.getByText(/next try in 2 min/).waitFor();
    await deliveries.getByRole("listitem", { name: "Webhook delivery" }).getByText("sent", { exact: true }).waitFor();
    const email = deliveries.getByRole("listitem", { name: "Email delivery" });
    await email.getByText("given up").waitFor();
    await email.getByText("connect ECONNREFUSED 10.0.0.5:587").waitFor();
    await deliveries.getByRole("listitem", { name: "Callback dag.onFailure[0] delivery" }).getByText("sent", { exact: true }).waitFor();

    // A run event links the run, no task; a threshold event names only its DAG; an event not fanned out says so.
    const run = article("Run failed: customer_analytics");
    expect(await run.getByRole("link", { name: `Run ${RUN_FAILED.runId}` }).getAttribute("href")).toBe("/runs/77");
    expect(await run.getByRole("link", { name: /^Task / }).count()).toBe(0);
    await article("Deadline missed: customer_segments").getByText("Details").click();
    await article("Deadline missed: customer_segments").getByText('"lateMs": 600000').waitFor();
    expect(await article("Dead letters over threshold: customer_analytics").getByRole("link", { name: /^Run / }).count()).toBe(0);
    await article("Run failed: hello").getByText("Waiting for the sender to pick it up…").waitFor();

    const channels = page.getByRole("list", { name: "Configured channels" });
    await channels.getByText("hooks.example.com").waitFor();
    await channels.getByText("hooks.slack.com").waitFor();
    await page.screenshot({ path: artifactPath("alerts-fake-list.png"), fullPage: true });
  });

  it("filters by DAG, event and delivery state, keeping them in the URL across a reload", async () => {
    await page.getByLabel("DAG", { exact: true }).selectOption("customer_analytics");
    await expect.poll(() => new URL(page.url()).searchParams.get("dagId")).toBe("customer_analytics");
    await expect.poll(articleNames).toEqual(["Dead letters over threshold: customer_analytics", "Run failed: customer_analytics", "Task failed: customer_analytics / extract_orders"]);
    await page.getByLabel("Event", { exact: true }).selectOption({ label: "Task failed" });
    await page.getByLabel("Delivery state").selectOption({ label: "given up" });
    await expect.poll(() => new URL(page.url()).search).toBe("?dagId=customer_analytics&event=task_failed&state=given_up");
    await expect.poll(articleNames).toEqual(["Task failed: customer_analytics / extract_orders"]);
    const last = listQueries().at(-1)!;
    expect([last.get("dagId"), last.get("event"), last.get("state")]).toEqual(["customer_analytics", "task_failed", "given_up"]);

    await page.reload();
    await expect.poll(articleNames).toEqual(["Task failed: customer_analytics / extract_orders"]);
    expect(await page.getByLabel("Delivery state").inputValue()).toBe("given_up");
    await page.getByLabel("Event", { exact: true }).selectOption({ label: "Deadline missed" });
    await page.getByText("No alert matches").waitFor();
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(() => new URL(page.url()).search).toBe("");
    await expect.poll(async () => (await articleNames()).length).toBe(5);
  });

  it("sends a test alert to one channel: the event appears and its delivery is followed until sent", async () => {
    await page.getByRole("button", { name: "Send a test alert to Webhook" }).click();
    const result = page.getByRole("status", { name: "Test alert to Webhook" });
    await result.getByText("sent", { exact: true }).waitFor({ timeout: 10_000 });
    expect(requests.filter((r) => r.url === "/api/alerts/test").map((r) => r.body)).toEqual([{ channel: "webhook" }]);
    // The list refreshes with the test event at the top.
    await expect.poll(async () => (await articleNames())[0], { timeout: 15_000 }).toBe("Test alert");
    await article("Test alert").getByText("Requested by ops_operator").waitFor();
    await page.screenshot({ path: artifactPath("alerts-fake-test-sent.png"), fullPage: true });
  });

  it("resends a delivery: it goes back to pending", async () => {
    const slack = article("Task failed: customer_analytics / extract_orders").getByRole("listitem", { name: "Slack delivery" });
    await slack.getByRole("button", { name: "Resend to Slack" }).click();
    await slack.getByText("pending").waitFor();
    await slack.getByText("3 attempts").waitFor();
    expect(requests.filter((r) => r.url.endsWith("/resend")).map((r) => [r.method, r.url])).toEqual([["POST", "/api/alerts/deliveries/12/resend"]]);
    // A pending delivery has nothing to resend yet.
    expect(await slack.getByRole("button", { name: "Resend to Slack" }).count()).toBe(0);
  });

  it("holds at 390 px wide, light and dark: nothing wider than the screen", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      for (const width of [1440, 390]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        await page.goto(`${site.baseUrl}/alerts`);
        await article("Task failed: customer_analytics / extract_orders").waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${width} px ${colorScheme}`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: artifactPath(`alerts-fake-${width}-${colorScheme}.png`), fullPage: true });
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it("gives viewers the page with test alerts and resends disabled", async () => {
    role = "viewer";
    await page.goto(`${site.baseUrl}/alerts`);
    await article("Task failed: customer_analytics / extract_orders").waitFor();
    await expect.poll(() => page.getByRole("button", { name: "Send a test alert to Webhook" }).isDisabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Send a test alert to Slack" }).isDisabled()).toBe(true);
    const email = article("Task failed: customer_analytics / extract_orders").getByRole("listitem", { name: "Email delivery" });
    expect(await email.getByRole("button", { name: "Resend to Email" }).isDisabled()).toBe(true);
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
