import type { Locator, Page } from "playwright-core";
import { expect, it } from "vitest";
import { logIn } from "../helpers/login";
import { artifactPath } from "../helpers/paths";
import type { Stack } from "../helpers/stack";
import { useStackPage } from "../helpers/stackPage";

// The real product on customer_analytics: a 7-day backfill through the dialog's dry-run preview,
// its progress page and the grid; then one date made to fail and a "failed only" backfill that
// reruns just that date. Each run waits on a reschedule sensor, so give it time.
const DATES = ["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04", "2024-02-05", "2024-02-06", "2024-02-07"];
const FAILED_DATE = "2024-02-03";
const RUN_TIMEOUT = 240_000;

let stack: Stack;
let page: Page;
let problems: string[] = [];
useStackPage((s) => ({ stack, page, problems } = s));

const grid = (): Locator => page.getByRole("table", { name: "Grid of customer_analytics" });

/** The task ids of customer_analytics, from its grid rows. */
async function taskIds(): Promise<string[]> {
  return grid().locator("tbody th[scope=row]").allInnerTexts();
}

/** Every cell title of `date` (they end with "· try N" after a retry). */
async function cellTitles(date: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const task of await taskIds()) out[task] = (await grid().getByRole("button", { name: new RegExp(`^${task} on ${date}: `) }).getAttribute("title")) ?? "";
  return out;
}

async function waitForProgressDone(): Promise<void> {
  const bar = page.getByRole("progressbar", { name: "Backfill progress" });
  await bar.waitFor({ timeout: 30_000 });
  await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: RUN_TIMEOUT, interval: 1000 }).toBe("100");
  expect(await bar.getAttribute("aria-valuemax")).toBe("100");
}

it("logs in and opens customer_analytics", async () => {
  await logIn(page, stack.baseUrl);
  await page.getByRole("table", { name: "DAGs" }).getByText("customer_analytics", { exact: true }).waitFor({ timeout: 30_000 });
  await page.getByRole("link", { name: "customer_analytics", exact: true }).click();
  await page.getByRole("heading", { name: "customer_analytics" }).waitFor();
});

it(
  "backfills 7 days through the dry-run preview and watches them turn green",
  async () => {
    await page.getByRole("button", { name: "Backfill", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Backfill customer_analytics" });
    await dialog.getByText("Pick a range to see which dates would run.").waitFor();

    // End before start: the server's 400 message, as an alert.
    await dialog.getByLabel("From", { exact: true }).fill("2024-02-07");
    await dialog.getByLabel("To", { exact: true }).fill("2024-02-01");
    await dialog.getByRole("alert").waitFor();
    expect(await dialog.getByRole("alert").innerText()).toMatch(/before|after|end|start/i);
    expect(await dialog.getByRole("button", { name: "Start backfill" }).isDisabled()).toBe(true);

    await dialog.getByLabel("From", { exact: true }).fill(DATES[0]!);
    await dialog.getByLabel("To", { exact: true }).fill(DATES.at(-1)!);
    await dialog.getByLabel("Max active runs").fill("4");
    const toCreate = dialog.getByRole("list", { name: /Dates to create/ });
    await toCreate.waitFor();
    await expect.poll(() => toCreate.getByRole("listitem").allInnerTexts()).toEqual(DATES);
    await dialog.getByText("7 runs", { exact: true }).waitFor();
    await expect.poll(() => dialog.getByRole("button", { name: "Start backfill" }).isEnabled()).toBe(true);
    await page.screenshot({ path: artifactPath("backfill-dialog.png") });

    await dialog.getByRole("button", { name: "Start backfill" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.waitForURL(/\/backfills\/\d+$/);
    await page.getByRole("heading", { name: /Backfill #\d+ of customer_analytics/ }).waitFor();
    const dates = page.getByRole("table", { name: "Backfill dates" });
    await expect.poll(() => dates.locator("tbody tr").count()).toBe(7);
    // Mid-way: a screenshot with work going on, then wait for the end.
    await page
      .getByRole("list", { name: "Runs by state" })
      .getByText(/^Success$/)
      .waitFor();
    await waitForProgressDone();
    for (const d of DATES) await dates.getByRole("row", { name: new RegExp(`${d}.*success`) }).waitFor();
    await page.getByText("completed", { exact: true }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: artifactPath("backfill-progress.png"), fullPage: true });

    await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "customer_analytics" }).click();
    await grid().waitFor();
    for (const d of DATES) await grid().getByRole("button", { name: `data_quality on ${d}: success` }).waitFor({ timeout: 30_000 });
    for (const task of await taskIds()) {
      for (const d of DATES) expect(await grid().getByRole("button", { name: `${task} on ${d}: success`, exact: true }).count(), `${task} on ${d}`).toBe(1);
    }
    await page.screenshot({ path: artifactPath("backfill-grid.png"), fullPage: true });
  },
  RUN_TIMEOUT + 60_000,
);

it(
  "reruns only the date that failed, from a range selected on the grid",
  async () => {
    const before = Object.fromEntries(await Promise.all(DATES.map(async (d) => [d, await cellTitles(d)] as const)));

    // Make one date fail: mark its last task failed (with the confirmation).
    await grid().getByRole("button", { name: `data_quality on ${FAILED_DATE}: success` }).click();
    const panel = page.getByRole("complementary", { name: "Task instance data_quality" });
    await panel.getByRole("button", { name: "Mark failed" }).click();
    const confirm = page.getByRole("dialog", { name: "Mark data_quality failed" });
    await confirm.getByRole("list").waitFor();
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await confirm.waitFor({ state: "hidden" });
    await grid().getByRole("button", { name: `data_quality on ${FAILED_DATE}: failed` }).waitFor({ timeout: 15_000 });
    await panel.getByRole("button", { name: "Close task instance" }).click();

    // Select the 7 runs (first, then shift-click the last) and Retry failed.
    await grid().getByRole("checkbox", { name: `Select run ${DATES[0]}` }).click();
    await grid()
      .getByRole("checkbox", { name: `Select run ${DATES.at(-1)}` })
      .click({ modifiers: ["Shift"] });
    const selection = page.getByRole("region", { name: "Selected runs" });
    await selection.getByText("7 runs", { exact: true }).waitFor();
    await selection.getByRole("button", { name: "Retry failed" }).click();

    const dialog = page.getByRole("dialog", { name: "Backfill customer_analytics" });
    expect(await dialog.getByLabel("From", { exact: true }).inputValue()).toBe(DATES[0]);
    expect(await dialog.getByLabel("To", { exact: true }).inputValue()).toBe(DATES.at(-1));
    expect(await dialog.getByRole("radio", { name: "Failed" }).isChecked()).toBe(true);
    const toClear = dialog.getByRole("list", { name: /Runs to clear/ });
    await toClear.waitFor();
    await expect.poll(() => toClear.getByRole("listitem").allInnerTexts()).toEqual([FAILED_DATE]);
    await expect.poll(() => dialog.getByRole("list", { name: /Dates skipped/ }).getByRole("listitem").count()).toBe(6);
    expect(await dialog.getByRole("list", { name: /Dates to create/ }).count()).toBe(0);
    await dialog.getByText("1 run", { exact: true }).waitFor();
    await page.screenshot({ path: artifactPath("backfill-retry-failed.png") });
    await expect.poll(() => dialog.getByRole("button", { name: "Start backfill" }).isEnabled()).toBe(true);
    await dialog.getByRole("button", { name: "Start backfill" }).click();
    await page.waitForURL(/\/backfills\/\d+$/);
    await waitForProgressDone();

    await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "customer_analytics" }).click();
    await grid().getByRole("button", { name: `data_quality on ${FAILED_DATE}: success` }).waitFor({ timeout: 60_000 });
    const after = await cellTitles(FAILED_DATE);
    expect(after.data_quality).toMatch(/· try 2$/);
    for (const d of DATES.filter((x) => x !== FAILED_DATE)) expect(await cellTitles(d), `${d} untouched`).toEqual(before[d]);
    await expect(grid().getByRole("button", { name: /: (failed|upstream failed)$/ }).count()).resolves.toBe(0);
  },
  RUN_TIMEOUT + 60_000,
);

it("runs under the strict CSP", () => {
  expect(problems).toEqual([]);
});
