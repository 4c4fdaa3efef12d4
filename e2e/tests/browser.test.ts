import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser } from "../helpers/browser";
import { artifactPath } from "../helpers/paths";
import { startStaticSite, type StaticSite } from "../helpers/staticSite";

// Checks the browser plumbing on its own, so a broken Chromium install is not mistaken for a broken dashboard.
let browser: Browser;
let site: StaticSite;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "runnel-e2e-smoke-"));
  await writeFile(join(dir, "index.html"), '<!doctype html><title>Smoke</title><h1>Smoke page</h1><button id="b">Click me</button><p id="out"></p><script src="/app.js"></script>');
  await writeFile(join(dir, "app.js"), 'document.getElementById("b").addEventListener("click", () => { document.getElementById("out").textContent = "Clicked"; });');
  site = await startStaticSite(dir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await rm(dir, { recursive: true, force: true });
});

it("drives Debian's Chromium: loads a page, runs its script under the strict CSP, screenshots it", async () => {
  const page = await browser.newPage();
  await page.goto(site.baseUrl);
  await expect(page.getByRole("heading", { name: "Smoke page" }).isVisible()).resolves.toBe(true);
  await page.getByRole("button", { name: "Click me" }).click();
  await page.getByText("Clicked").waitFor();

  const file = artifactPath("browser-smoke.png");
  await page.screenshot({ path: file });
  const png = await readFile(file);
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  expect(png.length).toBeGreaterThan(1000);
});
