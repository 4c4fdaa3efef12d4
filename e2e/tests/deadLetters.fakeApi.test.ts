import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dagListFixture } from "../fixtures/dagList";
import { FAILED_TASK, LOCALE, NEGATIVE, OTHER_DAG, XSS_NAME, countsAnswer, detailAnswer, listAnswer, replayAnswer, validateAnswer } from "../fixtures/deadLetters";
import { launchBrowser } from "../helpers/browser";
import { REPO_ROOT, artifactPath } from "../helpers/paths";
import { SseAnswer, startStaticSite, type FakeRequest, type StaticSite } from "../helpers/staticSite";

// The built dashboard's dead-letter pages against canned API answers typed by the contract:
// filters in the URL, payloads shown as text, the editor's validation gating Replay, viewers read-only.
const WEB_DIST = join(REPO_ROOT, "web", "dist");

let browser: Browser;
let site: StaticSite;
let page: Page;
let role: "operator" | "viewer" = "operator";
const requests: FakeRequest[] = [];
const logQueries: Array<string | null> = [];
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
    "/api/dead-letters": logged((req) => listAnswer(req.url)),
    "/api/dead-letters/counts": () => countsAnswer(),
    [`/api/dead-letters/${NEGATIVE.id}`]: logged((req) => (req.method === "PATCH" ? detailAnswer({ ...NEGATIVE, payload: (req.body as { payload: unknown }).payload }) : detailAnswer(NEGATIVE))),
    [`/api/dead-letters/${LOCALE.id}`]: () => detailAnswer(LOCALE),
    [`/api/dead-letters/${OTHER_DAG.id}`]: () => detailAnswer(OTHER_DAG),
    [`/api/dead-letters/${FAILED_TASK.id}`]: () => detailAnswer(FAILED_TASK),
    [`/api/task-instances/${FAILED_TASK.taskInstanceId}/logs`]: (req) => {
      logQueries.push(new URL(req.url, "http://x").searchParams.get("try"));
      return {
        lines: [
          { id: 1, tryNumber: 3, ts: "2024-03-02T00:00:01.000Z", level: "info", message: "computing metrics for 2024-03-01" },
          { id: 2, tryNumber: 3, ts: "2024-03-02T00:00:02.000Z", level: "error", message: "relation warehouse.raw_orders does not exist <i>x</i>" },
        ],
        lastId: 2,
        hasMore: false,
      };
    },
    [`/api/dead-letters/${NEGATIVE.id}/validate`]: logged((req) => validateAnswer((req.body as { payload: unknown }).payload)),
    [`/api/dead-letters/${NEGATIVE.id}/replay`]: logged((req) => replayAnswer(NEGATIVE.id, (req.body as { dryRun: boolean }).dryRun)),
    "/api/dead-letters/bulk": logged((req) => {
      const body = req.body as { ids?: number[]; dryRun: boolean };
      return { dryRun: body.dryRun, results: (body.ids ?? []).map((id) => ({ id, ok: true, message: null, cleared: [] })) };
    }),
    [`/api/dead-letters/${FAILED_TASK.id}/discard`]: logged(() => ({ dryRun: false, results: [{ id: FAILED_TASK.id, ok: true, message: null, cleared: [] }] })),
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

const table = (): ReturnType<Page["getByRole"]> => page.getByRole("table", { name: "Dead-lettered records" });
const rowIds = async (): Promise<string[]> => table().locator("tbody th[scope=row]").allInnerTexts();

describe("dead letters against canned API answers", () => {
  it("shows the open count in the header and filters by DAG, task and error text, keeping the filters in the URL", async () => {
    await page.goto(`${site.baseUrl}/`);
    const nav = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Dead letters/ });
    await nav.getByLabel("4 open").waitFor();
    await nav.click();
    await page.getByRole("heading", { name: "Dead letters" }).waitFor();
    await expect.poll(rowIds).toEqual(["#13", "#12", "#11"]);
    expect(await page.getByRole("tab", { name: /Records/ }).getAttribute("aria-selected")).toBe("true");

    await page.getByLabel("DAG", { exact: true }).selectOption("customer_analytics");
    await expect.poll(rowIds).toEqual(["#12", "#11"]);
    expect(new URL(page.url()).searchParams.get("dagId")).toBe("customer_analytics");
    await page.getByLabel("Error contains").fill("expected number, received");
    await expect.poll(rowIds).toEqual(["#12"]);
    expect(new URL(page.url()).searchParams.get("q")).toBe("expected number, received");
    const lastList = requests.filter((r) => r.url.startsWith("/api/dead-letters?")).at(-1)!;
    expect(new URL(lastList.url, "http://x").searchParams.get("status")).toBe("open");

    // A reload keeps the filters (they live in the URL).
    await page.reload();
    await expect.poll(rowIds).toEqual(["#12"]);
    expect(await page.getByLabel("Error contains").inputValue()).toBe("expected number, received");

    // The counts panel filters by DAG and task in one click.
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(rowIds).toEqual(["#13", "#12", "#11"]);
    await page.getByRole("region", { name: "Open letters by DAG and task" }).getByRole("button", { name: /^extract_orders/ }).click();
    await expect.poll(rowIds).toEqual(["#12", "#11"]);
    expect(new URL(page.url()).searchParams.get("taskId")).toBe("extract_orders");
    // The error counts filter by error text in one click (and a second click lifts it).
    const byError = page.getByRole("region", { name: "Open letters by error" });
    await expect(byError.getByRole("button").count()).resolves.toBe(3);
    await byError.getByRole("button", { name: /^amount: Invalid input: expected number, received string/ }).click();
    await expect.poll(rowIds).toEqual(["#12"]);
    expect(new URL(page.url()).searchParams.get("q")).toBe("amount: Invalid input: expected number, received string");
    await page.screenshot({ path: artifactPath("dead-letters-fake-list.png"), fullPage: true });
    await byError.getByRole("button", { name: /^amount: Invalid input/ }).click();
    await expect.poll(rowIds).toEqual(["#12", "#11"]);
  });

  it("bulk-selects rows and previews a discard, which needs a reason", async () => {
    await table().getByLabel("Select letter 11").check();
    await table().getByLabel("Select letter 12").check();
    await page.getByRole("button", { name: "Discard selected" }).click();
    const dialog = page.getByRole("dialog", { name: "Discard 2 selected" });
    await dialog.getByText("2 letters will be discarded.").waitFor();
    const confirm = dialog.getByRole("button", { name: "Confirm" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Reason").fill("test orders");
    await page.screenshot({ path: artifactPath("dead-letters-fake-bulk.png") });
    await confirm.click();
    await dialog.waitFor({ state: "hidden" });
    const bulk = requests.filter((r) => r.url === "/api/dead-letters/bulk").map((r) => r.body as { ids: number[]; action: string; dryRun: boolean; reason: string; filter: Record<string, string> });
    expect(bulk.map((b) => [b.action, b.dryRun, [...b.ids].sort()])).toEqual([
      ["discard", true, [11, 12]],
      ["discard", false, [11, 12]],
    ]);
    expect(bulk[1]!.reason).toBe("test orders");
    expect(bulk[1]!.filter).toMatchObject({ kind: "record", dagId: "customer_analytics", taskId: "extract_orders", status: "open" });
  });

  it("shows a payload as text, never as HTML, with its issues and history", async () => {
    await page.goto(`${site.baseUrl}/dead-letters/${NEGATIVE.id}`);
    const payload = page.getByLabel("Payload as text");
    await payload.waitFor();
    expect(await payload.innerText()).toContain(XSS_NAME.replaceAll('"', '\\"'));
    await expect(page.locator("img").count()).resolves.toBe(0);
    expect(await page.title()).not.toBe("pwned");
    await page.getByRole("list", { name: "Validation issues" }).getByText("Too small: expected number to be >0").waitFor();
    const history = page.getByRole("region", { name: "History" });
    await history.getByText("Payload edited").waitFor();
    await history.getByText("by ops_anna").waitFor();
  });

  it("validates the edited payload live: Replay stays disabled until it is valid JSON that meets the schema", async () => {
    const editor = page.getByLabel("Payload JSON");
    const replay = page.getByRole("button", { name: "Replay", exact: true });
    // The stored payload breaks the schema.
    await page.getByRole("list", { name: "Schema issues" }).getByText("must be > 0").waitFor();
    expect(await replay.isDisabled()).toBe(true);

    await editor.fill('{"order_id": "ord_20240301_00011", "amount": 42.5,');
    await page.getByText(/Not valid JSON/).waitFor();
    expect(await replay.isDisabled()).toBe(true);
    expect(await editor.getAttribute("aria-invalid")).toBe("true");

    await editor.fill(JSON.stringify({ order_id: "ord_20240301_00011", customer_id: "", amount: 42.5 }, null, 2));
    await page.getByRole("list", { name: "Schema issues" }).getByText("must NOT have fewer than 1 characters").waitFor();
    expect(await replay.isDisabled()).toBe(true);
    await page.screenshot({ path: artifactPath("dead-letters-fake-editor-invalid.png"), fullPage: true });

    const fixed = { order_id: "ord_20240301_00011", customer_id: "c_7", amount: 42.5, note: XSS_NAME };
    await editor.fill(JSON.stringify(fixed, null, 2));
    await page.getByText("Matches the task's schema").waitFor();
    await expect.poll(() => replay.isEnabled()).toBe(true);
    await replay.click();
    const dialog = page.getByRole("dialog", { name: `Replay letter #${NEGATIVE.id}` });
    await dialog.getByRole("list", { name: "Task instances affected" }).getByText("customer_metrics").waitFor();
    await dialog.getByText("The edited payload is saved first.").waitFor();
    await page.screenshot({ path: artifactPath("dead-letters-fake-replay-confirm.png") });
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await dialog.waitFor({ state: "hidden" });
    const writes = requests.filter((r) => r.method === "PATCH" || (r.method === "POST" && r.url.endsWith("/replay"))).map((r) => [r.method, r.body]);
    expect(writes).toEqual([
      ["POST", { dryRun: true }],
      ["PATCH", { payload: fixed }],
      ["POST", { dryRun: false }],
    ]);
  });

  it("shows a failed task with its error as text, a link to its run and Retry / Mark success / Dismiss", async () => {
    await page.goto(`${site.baseUrl}/dead-letters?view=tasks`);
    const tasks = page.getByRole("table", { name: "Failed tasks" });
    await tasks.getByRole("link", { name: `Letter ${FAILED_TASK.id}` }).waitFor();
    expect(await tasks.getByRole("link", { name: "Run 77" }).getAttribute("href")).toBe("/runs/77?ti=502");
    await tasks.getByRole("link", { name: `Letter ${FAILED_TASK.id}` }).click();
    await page.getByText("Error: relation warehouse.raw_orders does not exist <b>bold?</b>").waitFor();
    await expect(page.locator("main b").count()).resolves.toBe(0);
    // The end of the failed try's log, as text.
    const log = page.getByRole("region", { name: "Log of try 3" });
    await log.getByText("relation warehouse.raw_orders does not exist <i>x</i>").waitFor();
    await expect(log.locator("i").count()).resolves.toBe(0);
    expect(logQueries).toContain("3");
    for (const name of ["Retry", "Mark success", "Dismiss"]) expect(await page.getByRole("button", { name, exact: true }).isEnabled()).toBe(true);
    await page.getByRole("button", { name: "Dismiss", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Dismiss letter #${FAILED_TASK.id}` });
    const confirm = dialog.getByRole("button", { name: "Confirm" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Reason").fill("known outage");
    await confirm.click();
    await dialog.waitFor({ state: "hidden" });
    expect(requests.filter((r) => r.url.endsWith("/discard")).map((r) => r.body)).toEqual([{ reason: "known outage" }]);
    await page.screenshot({ path: artifactPath("dead-letters-fake-task.png"), fullPage: true });
  });

  it("gives viewers the same pages with every action disabled", async () => {
    role = "viewer";
    await page.goto(`${site.baseUrl}/dead-letters/${NEGATIVE.id}`);
    await page.getByText("Read-only: actions need the operator role").waitFor();
    for (const name of ["Replay", "Discard", "Save edit"]) expect(await page.getByRole("button", { name, exact: true }).isDisabled()).toBe(true);
    await page.goto(`${site.baseUrl}/dead-letters/${FAILED_TASK.id}`);
    await page.getByText("Read-only: actions need the operator role").waitFor();
    for (const name of ["Retry", "Mark success", "Dismiss"]) expect(await page.getByRole("button", { name, exact: true }).isDisabled()).toBe(true);
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
