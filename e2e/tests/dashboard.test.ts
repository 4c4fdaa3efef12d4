import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { logIn } from "../helpers/login";
import { artifactPath } from "../helpers/paths";
import type { Stack } from "../helpers/stack";
import { useStackPage } from "../helpers/stackPage";

// The real product: `runnel start` on a fresh database, serving e2e/dags/ (the example DAGs and
// retry_until_marker, whose first task fails until a marker file exists in the stack's scratch folder).
let stack: Stack;
let page: Page;
let problems: string[] = [];
useStackPage((s) => ({ stack, page, problems } = s));

it("logs in and lists the example DAGs", async () => {
  await logIn(page, stack.baseUrl);
  const table = page.getByRole("table", { name: "DAGs" });
  await table.waitFor({ timeout: 30_000 });
  // DAG files are discovered asynchronously after start; the page polls until they show up.
  await table.getByText("hello", { exact: true }).waitFor({ timeout: 30_000 });
  await table.getByText("customer_analytics", { exact: true }).waitFor({ timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "Runnel" }).isVisible()).resolves.toBe(true);
  await page.screenshot({ path: artifactPath("dags.png"), fullPage: true });
});

it("triggers hello and watches the run turn green in the grid", async () => {
  await page.getByRole("link", { name: "hello", exact: true }).click();
  await page.getByRole("heading", { name: "hello" }).waitFor();
  await page.getByRole("button", { name: "Trigger" }).click();
  const dialog = page.getByRole("dialog", { name: "Trigger hello" });
  // A logical date no scheduled run has, so the cells below can only be the triggered run's.
  await dialog.getByLabel("Logical date (UTC, optional)").fill("2025-06-15T00:00");
  await dialog.getByRole("button", { name: "Trigger" }).click();
  await dialog.waitFor({ state: "hidden" });
  const grid = page.getByRole("table", { name: "Grid of hello" });
  await grid.getByRole("button", { name: "report on 2025-06-15: success" }).waitFor({ timeout: 45_000 });
  for (const task of ["say_hello", "count_letters"]) {
    await expect(grid.getByRole("button", { name: `${task} on 2025-06-15: success` }).isVisible()).resolves.toBe(true);
  }
  await page.screenshot({ path: artifactPath("stack-grid.png"), fullPage: true });
});

it("opens a task's log", async () => {
  await page.getByRole("button", { name: /^say_hello on .*: success$/ }).first().click();
  const panel = page.getByRole("complementary", { name: "Task instance say_hello" });
  await panel.getByText(/Hello from Runnel for/).first().waitFor({ timeout: 15_000 });
  await page.screenshot({ path: artifactPath("stack-task-log.png"), fullPage: true });
});

it("pauses a DAG from the list", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "DAGs" }).click();
  const toggle = page.getByRole("switch", { name: "Pause customer_analytics" });
  await toggle.click();
  await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("true");
  await page.reload();
  await expect.poll(() => page.getByRole("switch", { name: "Pause customer_analytics" }).getAttribute("aria-checked"), { timeout: 10_000 }).toBe("true");
});

it("retries a task that failed until its marker file existed, and watches it turn green", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "DAGs" }).click();
  await page.getByRole("link", { name: "retry_until_marker", exact: true }).click();
  await page.getByRole("heading", { name: "retry_until_marker" }).waitFor();
  await page.getByRole("button", { name: "Trigger" }).click();
  const dialog = page.getByRole("dialog", { name: "Trigger retry_until_marker" });
  // The params form shows the marker path the DAG will look for (its default comes from RUNNEL_E2E_SCRATCH).
  const markerPath = await dialog.getByLabel("markerPath").inputValue();
  expect(markerPath).toBe(join(stack.scratchDir, "retry_until_marker.ok"));
  await dialog.getByRole("button", { name: "Trigger" }).click();
  await dialog.waitFor({ state: "hidden" });

  const grid = page.getByRole("table", { name: "Grid of retry_until_marker" });
  const check = grid.getByRole("button", { name: /^check_marker on .+: failed$/ });
  await check.waitFor({ timeout: 45_000 });
  await grid.getByRole("button", { name: /^after_marker on .+: upstream failed$/ }).waitFor({ timeout: 15_000 });
  const [r, g, b] = (await check.evaluate((el) => getComputedStyle(el).backgroundColor)).match(/\d+/g)!.map(Number);
  expect(r! > g! + 15 && r! > b! + 15, `check_marker cell is red, got rgb(${r}, ${g}, ${b})`).toBe(true);
  await page.screenshot({ path: artifactPath("stack-retry-failed.png"), fullPage: true });

  await writeFile(markerPath, "ok\n");
  await check.click();
  const panel = page.getByRole("complementary", { name: "Task instance check_marker" });
  await panel.getByText(/marker file .* does not exist yet/).first().waitFor({ timeout: 15_000 });
  await expect(panel.getByText("failed", { exact: true }).first().isVisible()).resolves.toBe(true);
  await panel.getByLabel("with downstream").check();
  await panel.getByRole("button", { name: "Retry" }).click();
  const confirm = page.getByRole("dialog", { name: "Retry check_marker and downstream" });
  const affected = confirm.getByRole("list", { name: "Task instances affected" });
  await affected.waitFor();
  await expect(affected.getByRole("listitem").allInnerTexts()).resolves.toEqual([expect.stringContaining("check_marker"), expect.stringContaining("after_marker")]);
  await page.screenshot({ path: artifactPath("stack-retry-confirm.png") });
  await confirm.getByRole("button", { name: "Confirm" }).click();
  await confirm.waitFor({ state: "hidden" });

  await grid.getByRole("button", { name: /^check_marker on .+: success$/ }).waitFor({ timeout: 45_000 });
  await grid.getByRole("button", { name: /^after_marker on .+: success$/ }).waitFor({ timeout: 45_000 });
  await expect(grid.getByRole("button", { name: /: (failed|upstream failed)$/ }).count()).resolves.toBe(0);
  await page.screenshot({ path: artifactPath("stack-retry-green.png"), fullPage: true });
});

it("runs under the strict CSP", () => {
  expect(problems).toEqual([]);
});
