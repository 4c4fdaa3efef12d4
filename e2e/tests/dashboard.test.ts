import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser } from "../helpers/browser";
import { artifactPath } from "../helpers/paths";
import { startStack, type Stack } from "../helpers/stack";

// The real product: `runnel start` on a fresh database, serving the example DAGs in dags/.
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it("lists the example DAGs", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(stack.baseUrl);
  const table = page.getByRole("table", { name: "DAGs" });
  await table.waitFor({ timeout: 30_000 });
  // DAG files are discovered asynchronously after start; the page polls until they show up.
  await table.getByText("hello", { exact: true }).waitFor({ timeout: 30_000 });
  await table.getByText("customer_analytics", { exact: true }).waitFor({ timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "Runnel" }).isVisible()).resolves.toBe(true);
  await page.screenshot({ path: artifactPath("dags.png"), fullPage: true });
});
