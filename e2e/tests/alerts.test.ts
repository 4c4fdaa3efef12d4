import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser } from "../helpers/browser";
import { logIn } from "../helpers/login";
import { artifactPath } from "../helpers/paths";
import { startStack, type Stack } from "../helpers/stack";

// The real product with RUNNEL_ALERT_WEBHOOK_URL pointing at a receiver this test runs: a run of
// retry_until_marker fails (its first task throws until a marker file exists, and it has no retries),
// the Alerts page lists its task_failed and run_failed events with the webhook delivery sent, and
// "Send a test alert" reaches the receiver with event "test" and the Runnel-Alert-Id header.
const SECRET = "e2e-webhook-secret";
const RUN_TIMEOUT = 60_000;

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id?: string; event?: string; dagId?: string; taskId?: string; error?: string; url?: string };
}

let receiver: Server;
const received: Received[] = [];
let stack: Stack;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: Received["body"] = {};
      try {
        body = JSON.parse(raw) as Received["body"];
      } catch {
        // Kept as raw; the assertions below name what was expected.
      }
      received.push({ headers: req.headers, raw, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const { port } = receiver.address() as AddressInfo;
  stack = await startStack({ env: { RUNNEL_ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/runnel-alerts`, RUNNEL_ALERT_WEBHOOK_SECRET: SECRET } });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

const events = (): ReturnType<Page["getByRole"]> => page.getByRole("list", { name: "Alert events" });
const article = (name: string): ReturnType<Page["getByRole"]> => events().getByRole("article", { name, exact: true });
const webhookOf = (name: string): ReturnType<Page["getByRole"]> => article(name).getByRole("listitem", { name: "Webhook delivery" });
const signed = (r: Received): boolean => r.headers["runnel-signature"] === `sha256=${createHmac("sha256", SECRET).update(r.raw).digest("hex")}`;

it("a failing run's task_failed and run_failed events are listed with their webhook delivery sent", { timeout: RUN_TIMEOUT * 3 }, async () => {
  await logIn(page, stack.baseUrl);
  await page.getByRole("link", { name: "retry_until_marker", exact: true }).click({ timeout: 30_000 });
  await page.getByRole("heading", { name: "retry_until_marker" }).waitFor();
  await page.getByRole("button", { name: "Trigger" }).click();
  const dialog = page.getByRole("dialog", { name: "Trigger retry_until_marker" });
  await dialog.getByRole("button", { name: "Trigger" }).click();
  await dialog.waitFor({ state: "hidden" });
  const grid = page.getByRole("table", { name: "Grid of retry_until_marker" });
  await grid.getByRole("button", { name: /^check_marker on .+: failed$/ }).waitFor({ timeout: RUN_TIMEOUT });

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
  await page.getByRole("heading", { name: "Alerts" }).waitFor();
  const taskFailed = "Task failed: retry_until_marker / check_marker";
  const runFailed = "Run failed: retry_until_marker";
  await article(taskFailed).waitFor({ timeout: RUN_TIMEOUT });
  await article(runFailed).waitFor({ timeout: RUN_TIMEOUT });
  await article(taskFailed).getByText(/marker file .* does not exist yet/).waitFor();
  await article(runFailed).getByText(/failed tasks: .*check_marker \(failed\)/).waitFor();
  // The page refreshes on its own until the sender has delivered both.
  await webhookOf(taskFailed).getByText("sent", { exact: true }).waitFor({ timeout: RUN_TIMEOUT });
  await webhookOf(runFailed).getByText("sent", { exact: true }).waitFor({ timeout: RUN_TIMEOUT });
  await webhookOf(taskFailed).getByText("1 attempt").waitFor();

  // The receiver got each once, signed, with the dashboard link of the task.
  const byEvent = (event: string): Received[] => received.filter((r) => r.body.event === event && r.body.dagId === "retry_until_marker");
  expect(byEvent("task_failed")).toHaveLength(1);
  expect(byEvent("run_failed")).toHaveLength(1);
  const task = byEvent("task_failed")[0]!;
  expect(task.body).toMatchObject({ taskId: "check_marker", error: expect.stringContaining("does not exist yet") as unknown });
  expect(task.headers["runnel-alert-id"]).toBe(task.body.id);
  expect(signed(task)).toBe(true);

  // Its links lead to the run and the task.
  await article(taskFailed).getByRole("link", { name: "Task check_marker" }).click();
  await page.getByRole("complementary", { name: "Task instance check_marker" }).waitFor();
  await page.goBack();
  await article(taskFailed).waitFor();
  await page.screenshot({ path: artifactPath("alerts-stack-failed.png"), fullPage: true });

  // Filters: only run events of this DAG.
  await page.getByLabel("Event", { exact: true }).selectOption({ label: "Run failed" });
  await expect.poll(async () => events().getByRole("article").count()).toBe(1);
  await article(runFailed).waitFor();
  await page.getByRole("button", { name: "Clear filters" }).click();
});

it("'Send a test alert' reaches the receiver with event test and the Runnel-Alert-Id header, and the page shows it sent", { timeout: RUN_TIMEOUT * 2 }, async () => {
  const channels = page.getByRole("list", { name: "Configured channels" });
  await channels.getByText("127.0.0.1:", { exact: false }).waitFor();
  // The target is the host only: the path of the URL is not shown.
  expect(await channels.innerText()).not.toContain("/runnel-alerts");
  const before = received.length;
  await page.getByRole("button", { name: "Send a test alert to Webhook" }).click();
  const result = page.getByRole("status", { name: "Test alert to Webhook" });
  await result.getByText("sent", { exact: true }).waitFor({ timeout: RUN_TIMEOUT });

  const tests = received.slice(before).filter((r) => r.body.event === "test");
  expect(tests).toHaveLength(1);
  const [test] = tests;
  expect(test!.headers["runnel-alert-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(test!.headers["runnel-alert-id"]).toBe(test!.body.id);
  expect(signed(test!)).toBe(true);

  // The list shows the test event at the top with its webhook delivery sent.
  await webhookOf("Test alert").getByText("sent", { exact: true }).waitFor({ timeout: RUN_TIMEOUT });
  await article("Test alert").getByText("Requested by admin").waitFor();
  await page.screenshot({ path: artifactPath("alerts-stack-test.png"), fullPage: true });

  // Resend delivers it again: the receiver sees the same id a second time (receivers de-duplicate by it).
  await webhookOf("Test alert").getByRole("button", { name: "Resend to Webhook" }).click();
  await expect.poll(() => received.filter((r) => r.body.event === "test").map((r) => r.headers["runnel-alert-id"]), { timeout: RUN_TIMEOUT }).toEqual([test!.body.id, test!.body.id]);
  await webhookOf("Test alert").getByText("sent", { exact: true }).waitFor({ timeout: RUN_TIMEOUT });
  expect(problems).toEqual([]);
});
