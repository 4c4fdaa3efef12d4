import pg from "pg";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { logIn } from "../helpers/login";
import { artifactPath } from "../helpers/paths";
import type { Stack } from "../helpers/stack";
import { useStackPage } from "../helpers/stackPage";

// The real product on customer_analytics: a day's run dead-letters its malformed orders; an operator
// finds one on the Dead letters page, fixes its amount in the editor (validated against the task's
// schema), replays it through the dry-run confirmation, and the corrected row lands in the day's
// raw_orders partition exactly once while the letter ends replayed.
const DATE = "2024-03-01";
const RUN_TIMEOUT = 180_000;

let stack: Stack;
let page: Page;
let problems: string[] = [];
useStackPage((s) => ({ stack, page, problems } = s));

interface Order {
  order_id: string;
  amount: number;
  [field: string]: unknown;
}

/** Rows of `orderId` in the day's raw_orders partition (the warehouse is the stack's database, schema `warehouse`). */
async function warehouseRows(orderId: string): Promise<Array<{ amount: string }>> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const res = await client.query<{ amount: string }>("SELECT amount::text AS amount FROM warehouse.raw_orders WHERE ds = $1 AND order_id = $2", [DATE, orderId]);
    return res.rows;
  } finally {
    await client.end();
  }
}

it("runs customer_analytics for a day, which dead-letters its malformed orders", { timeout: RUN_TIMEOUT + 60_000 }, async () => {
  await logIn(page, stack.baseUrl);
  await page.getByRole("link", { name: "customer_analytics", exact: true }).click();
  await page.getByRole("heading", { name: "customer_analytics" }).waitFor();
  await page.getByRole("button", { name: "Trigger" }).click();
  const dialog = page.getByRole("dialog", { name: "Trigger customer_analytics" });
  await dialog.getByLabel("Logical date (UTC, optional)").fill(`${DATE}T00:00`);
  await dialog.getByRole("button", { name: "Trigger" }).click();
  await dialog.waitFor({ state: "hidden" });
  const grid = page.getByRole("table", { name: "Grid of customer_analytics" });
  await grid.getByRole("button", { name: `data_quality on ${DATE}: success` }).waitFor({ timeout: RUN_TIMEOUT });
  await grid.getByRole("button", { name: `extract_orders on ${DATE}: success` }).waitFor();
});

it("finds a malformed order, fixes its amount, replays it, and the corrected row lands exactly once", { timeout: RUN_TIMEOUT + 60_000 }, async () => {
  // The header badge counts the open letters.
  const nav = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Dead letters/ });
  await nav.getByLabel(/^\d+ open$/).waitFor({ timeout: 30_000 });
  await nav.click();
  await page.getByRole("heading", { name: "Dead letters" }).waitFor();
  await page.getByLabel("DAG", { exact: true }).selectOption("customer_analytics");
  await page.getByLabel("Task", { exact: true }).selectOption("extract_orders");
  await page.getByLabel("Partition").fill(DATE);
  await page.getByLabel("Error contains").fill("amount: too small");
  const table = page.getByRole("table", { name: "Dead-lettered records" });
  // The filters live in the URL; the table follows them.
  await expect.poll(() => new URL(page.url()).searchParams.get("q")).toBe("amount: too small");
  const url = new URL(page.url());
  expect([url.searchParams.get("dagId"), url.searchParams.get("taskId"), url.searchParams.get("partition")]).toEqual(["customer_analytics", "extract_orders", DATE]);
  const errorsShown = async (): Promise<string[]> => table.locator("tbody .error-inline").allInnerTexts();
  await expect.poll(async () => (await errorsShown()).length > 0 && (await errorsShown()).every((e) => e.startsWith("amount: Too small")), { timeout: 15_000 }).toBe(true);
  await page.screenshot({ path: artifactPath("dead-letters-list.png"), fullPage: true });

  await table.locator("tbody th[scope=row] a").first().click();
  await page.getByRole("heading", { name: /Invalid record #\d+/ }).waitFor();
  const letterId = /\/dead-letters\/(\d+)$/.exec(page.url())?.[1];
  expect(letterId).toBeDefined();
  const stored = JSON.parse(await page.getByLabel("Payload as text").innerText()) as Order;
  expect(stored.amount).toBeLessThan(0);
  expect(await warehouseRows(stored.order_id)).toEqual([]);

  // The stored payload breaks the schema, so Replay waits for a fix.
  const replay = page.getByRole("button", { name: "Replay", exact: true });
  await page.getByRole("list", { name: "Schema issues" }).getByText(/\/amount/).waitFor();
  expect(await replay.isDisabled()).toBe(true);
  const fixed: Order = { ...stored, amount: Math.abs(stored.amount) };
  await page.getByLabel("Payload JSON").fill(JSON.stringify(fixed, null, 2));
  await page.getByText("Matches the task's schema").waitFor();
  await expect.poll(() => replay.isEnabled()).toBe(true);
  await page.screenshot({ path: artifactPath("dead-letters-editor.png"), fullPage: true });

  await replay.click();
  const confirm = page.getByRole("dialog", { name: `Replay letter #${letterId}` });
  const affected = confirm.getByRole("list", { name: "Task instances affected" });
  await affected.getByText("extract_orders", { exact: true }).waitFor();
  await affected.getByText("customer_metrics", { exact: true }).waitFor();
  await page.screenshot({ path: artifactPath("dead-letters-replay-confirm.png") });
  await confirm.getByRole("button", { name: "Confirm" }).click();
  await confirm.waitFor({ state: "hidden" });

  // The rerun validates the edited payload: the letter ends replayed (the page polls while pending).
  const history = page.getByRole("region", { name: "History" });
  await history.getByText("Replayed", { exact: true }).waitFor({ timeout: RUN_TIMEOUT });
  await page.locator(".page-head").getByText("replayed", { exact: true }).waitFor();
  expect(await history.locator("li strong").allInnerTexts()).toEqual(["Created", "Payload edited", "Replay requested", "Replayed"]);
  await history.getByText("by admin").first().waitFor();
  await page.screenshot({ path: artifactPath("dead-letters-replayed.png"), fullPage: true });

  // The task reran (a second try) and succeeded: seen on its run page.
  await page.getByRole("link", { name: /^Run \d+$/ }).click();
  const tis = page.getByRole("table", { name: "Task instances" });
  const extractRow = tis.getByRole("row", { name: /extract_orders/ });
  await extractRow.getByText("success").waitFor({ timeout: RUN_TIMEOUT });
  expect(await extractRow.getByRole("cell").nth(1).innerText()).toMatch(/^2 \/ \d+$/);
  await page.getByRole("table", { name: "Check results" }).waitFor();
  await page.screenshot({ path: artifactPath("dead-letters-run.png"), fullPage: true });

  // Exactly one corrected row in the partition.
  const rows = await warehouseRows(fixed.order_id);
  expect(rows).toEqual([{ amount: fixed.amount.toFixed(2) }]);
  expect(problems).toEqual([]);
});
