import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CurrentUser, DeadLetterCountsResponse, ReprocessDetailResponse } from "../../server/src/api/contract";
import { HOSTILE_OBSERVED, METRICS, PARTITION, RAW_ORDERS, datasetList, lineageGraph, metricsDetail, metricsPartition, reprocessAnswer } from "../fixtures/lineage";
import { launchBrowser } from "../helpers/browser";
import { REPO_ROOT, artifactPath } from "../helpers/paths";
import { SseAnswer, StatusAnswer, startStaticSite, type FakeRequest, type StaticSite } from "../helpers/staticSite";

// The built dashboard's Lineage pages against canned lineage answers typed by the server's
// contract: the graph, a dataset's partitions and check trend, a partition's upstream and
// downstream, and Reprocess downstream with its dry run.
const WEB_DIST = join(REPO_ROOT, "web", "dist");
const notFound = (what: string) => new StatusAnswer(404, { error: { code: "not_found", message: `no such ${what}` } });

let browser: Browser;
let site: StaticSite;
let page: Page;
let role: CurrentUser["role"] = "operator";
const reprocessPosts: FakeRequest[] = [];
const partitionGets: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, "index.html"))) throw new Error(`${WEB_DIST} is missing: run pnpm --filter runnel-web build first`);
  site = await startStaticSite(WEB_DIST, {
    "/api/auth/me": (): CurrentUser => ({ username: role, role }),
    "/api/events": () => new SseAnswer([]),
    // The header's Dead letters link shows a count of open letters.
    "/api/dead-letters/counts": (): DeadLetterCountsResponse => ({ counts: [], errors: [] }),
    "/api/lineage/graph": () => lineageGraph(),
    "/api/lineage/datasets": () => datasetList(),
    "/api/lineage/dataset": (req) => (new URL(req.url, "http://x").searchParams.get("uri") === METRICS ? metricsDetail() : notFound("dataset")),
    "/api/lineage/partition": (req) => {
      partitionGets.push(req.url);
      const q = new URL(req.url, "http://x").searchParams;
      return q.get("uri") === METRICS && q.get("partition") === PARTITION ? metricsPartition() : notFound("partition");
    },
    "/api/lineage/reprocess": (req) => {
      reprocessPosts.push(req);
      const body = req.body as { dryRun?: boolean };
      return reprocessAnswer(body.dryRun === true);
    },
    "/api/lineage/reprocesses/5": (): ReprocessDetailResponse => ({
      id: 5,
      uri: "warehouse.customer_metrics",
      partition: "2024-01-07",
      requestedBy: "operator",
      state: "running",
      message: null,
      createdAt: "2024-01-08T09:00:00.000Z",
      finishedAt: null,
      runs: [
        { dagRunId: 41, dagId: "customer_analytics", runId: "scheduled__2024-01-07T00:00:00+00:00", wave: 0, taskIds: ["customer_alerts"], releasedAt: "2024-01-08T09:00:00.000Z", state: "running" },
        { dagRunId: 77, dagId: "revenue_report", runId: "dataset_triggered__2024-01-07T09:12:00+00:00", wave: 1, taskIds: ["build_report"], releasedAt: null, state: "failed" },
      ],
    }),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  watch(page);
});

/** Collects console errors (CSP violations, script errors) and uncaught exceptions of `p`. */
function watch(p: Page): void {
  p.on("console", (msg) => {
    if (msg.type() === "error") problems.push(msg.text());
  });
  p.on("pageerror", (err) => problems.push(err.message));
}

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe("lineage pages against canned API answers", () => {
  it("draws datasets and tasks left to right, declared-only edges dashed, and lists the datasets", async () => {
    await page.goto(`${site.baseUrl}/lineage`);
    const graph = page.getByRole("figure", { name: "Lineage graph" });
    await graph.getByRole("link", { name: METRICS, exact: true }).waitFor();
    await expect(graph.getByRole("link", { name: "Task customer_analytics.customer_metrics" }).getAttribute("href")).resolves.toBe("/dags/customer_analytics");
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Lineage" }).getAttribute("aria-current")).resolves.toBe("page");

    // Left to right: the producer, its dataset, then a consumer.
    const x = async (name: string): Promise<number> => (await graph.getByRole("link", { name, exact: true }).boundingBox())!.x;
    const producer = await x("Task customer_analytics.customer_metrics");
    const dataset = await x(METRICS);
    const consumer = await x("Task revenue_report.build_report");
    expect(producer).toBeLessThan(dataset);
    expect(dataset).toBeLessThan(consumer);

    // Edges are named; the declared-only one is dashed, an observed one is not.
    const dashes = (name: string) =>
      graph
        .getByRole("img", { name })
        .locator("path.react-flow__edge-path")
        .evaluate((el) => getComputedStyle(el).strokeDasharray);
    await expect(dashes("customer_analytics.extract_marketing_events to warehouse.raw_marketing_events: declared only, never observed")).resolves.toMatch(/^6(px)?,? 5(px)?$/);
    await expect(dashes(`customer_analytics.customer_metrics to ${METRICS}: declared and observed`)).resolves.toBe("none");
    await page.waitForTimeout(300);
    await page.screenshot({ path: artifactPath("lineage-graph.png"), fullPage: true });
    await graph.screenshot({ path: artifactPath("lineage-graph-canvas.png") });

    const table = page.getByRole("table", { name: "Datasets" });
    await expect(table.getByRole("row").count()).resolves.toBe(1 + datasetList().datasets.length);
    await expect(table.getByRole("rowheader", { name: METRICS }).getByRole("link", { name: METRICS }).getAttribute("href")).resolves.toBe(`/lineage/dataset?uri=${encodeURIComponent(METRICS)}`);
    await expect(table.getByRole("list", { name: `Consumers of ${METRICS}` }).getByRole("listitem").count()).resolves.toBe(4);
    await page.getByLabel("Search datasets").fill("revenue_report");
    await expect(table.getByRole("row").count()).resolves.toBe(3); // customer_metrics (read by it) and the report file (written by it)
    await page.getByLabel("Search datasets").fill("");
  });

  it("opens a dataset from the graph: partitions with run, task, rows, checksum and rewrites, and a check trend", async () => {
    await page.getByRole("figure", { name: "Lineage graph" }).getByRole("link", { name: METRICS, exact: true }).click();
    await page.getByRole("heading", { name: `Dataset ${METRICS}` }).waitFor();
    expect(new URL(page.url()).searchParams.get("uri")).toBe(METRICS);

    const partitions = page.getByRole("table", { name: "Partitions" });
    await expect(partitions.getByRole("row").count()).resolves.toBe(1 + 7);
    const newest = partitions.getByRole("row").nth(1);
    await expect(newest.getByRole("rowheader").innerText()).resolves.toBe(PARTITION);
    await expect(newest.getByRole("link", { name: /^scheduled__2024-01-07/ }).getAttribute("href")).resolves.toBe("/runs/41");
    await expect(newest.getByRole("link", { name: /customer_analytics\.customer_metrics/ }).innerText()).resolves.toBe("customer_analytics.customer_metrics · try 3");
    await expect(newest.getByRole("cell").nth(3).innerText()).resolves.toBe("1,248");
    const sum = metricsDetail().partitions[0]!.checksum!;
    // Shortened on screen, whole in the tooltip and for screen readers.
    const short = `sha256:${sum.slice("sha256:".length, "sha256:".length + 10)}…`;
    await expect(newest.getByTitle(sum).getByText(short, { exact: true }).isVisible()).resolves.toBe(true);
    await expect(newest.getByTitle(sum).textContent()).resolves.toBe(`${short}${sum}`);
    await expect(newest.getByRole("cell").last().innerText()).resolves.toBe("2");

    const checks = page.getByRole("table", { name: "Check results" });
    const nullTrend = checks.getByRole("list", { name: "Trend of nullRatio(customer_id), oldest to newest" });
    // One cell per partition, oldest first; 2024-01-05 was rechecked after its rewrite and passed.
    await expect(nullTrend.getByRole("link").evaluateAll((links) => links.map((l) => l.getAttribute("aria-label")))).resolves.toEqual([
      "2024-01-01: pass",
      "2024-01-02: pass",
      "2024-01-03: pass",
      "2024-01-04: pass",
      "2024-01-05: pass",
      "2024-01-06: pass",
      "2024-01-07: pass",
    ]);
    const segmentRow = checks.getByRole("row", { name: /allowedValues\(segment\)/ });
    await expect(segmentRow.getByRole("link", { name: "2024-01-03: fail" }).innerText()).resolves.toBe("✕");
    await expect(segmentRow.getByText("7 passed", { exact: false }).innerText()).resolves.toBe("5 of 7 passed");
    // The latest observed value vs the threshold, as text: the check's output is never HTML.
    await expect(segmentRow.getByText(HOSTILE_OBSERVED, { exact: true }).isVisible()).resolves.toBe(true);
    await expect(segmentRow.getByText("segment in (smb, mid_market, enterprise)").isVisible()).resolves.toBe(true);
    await expect(segmentRow.getByText("fail on 2024-01-07").count()).resolves.toBe(1);
    await expect(page.locator("main img").count()).resolves.toBe(0);
    await page.screenshot({ path: artifactPath("lineage-dataset.png"), fullPage: true });
  });

  it("opens a partition: writes, upstream tree, downstream partitions, runs and task instances", async () => {
    await page.getByRole("table", { name: "Partitions" }).getByRole("link", { name: `Partition ${PARTITION}` }).click();
    await page.getByRole("heading", { name: `Partition ${PARTITION} of ${METRICS}` }).waitFor();

    const upstream = page.getByRole("list", { name: "Upstream partitions" });
    const rawOrders = upstream.getByRole("link", { name: `${RAW_ORDERS} partition ${PARTITION}` });
    await expect(rawOrders.getAttribute("href")).resolves.toBe(`/lineage/partition?uri=${encodeURIComponent(RAW_ORDERS)}&partition=${PARTITION}`);
    await expect(upstream.getByRole("link", { name: /incoming\/orders partition 2024-01-07$/ }).isVisible()).resolves.toBe(true);

    const tasks = page.getByRole("table", { name: "Downstream task instances" });
    await expect(tasks.getByRole("row").count()).resolves.toBe(1 + 6);
    await expect(tasks.getByRole("row", { name: /revenue_report\.build_report/ }).getByText("failed", { exact: true }).isVisible()).resolves.toBe(true);
    await expect(tasks.getByRole("row", { name: /revenue_report\.publish_report/ }).getByText("upstream failed").isVisible()).resolves.toBe(true);
    await expect(tasks.getByRole("row", { name: /customer_analytics\.data_quality/ }).getByRole("link", { name: "customer_analytics.data_quality" }).getAttribute("href")).resolves.toBe(
      "/dags/customer_analytics?ti=4110&run=41",
    );
    await expect(page.getByRole("list", { name: "Downstream runs" }).getByRole("listitem").count()).resolves.toBe(2);
    await expect(page.getByRole("list", { name: "Downstream partitions" }).getByRole("link", { name: `warehouse.customer_alerts partition ${PARTITION}` }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole("table", { name: "Write history" }).getByRole("row").count()).resolves.toBe(1 + 3);
    await page.screenshot({ path: artifactPath("lineage-partition.png"), fullPage: true });
  });

  it("reprocesses downstream after a dry run, then refreshes the page", async () => {
    const before = partitionGets.length;
    await page.getByRole("button", { name: "Reprocess downstream" }).click();
    const dialog = page.getByRole("dialog", { name: "Reprocess downstream" });
    const toClear = dialog.getByRole("list", { name: "Task instances to clear" });
    await toClear.waitFor();
    await expect(toClear.getByRole("listitem").count()).resolves.toBe(5);
    await expect(dialog.getByRole("list", { name: "Task instances left alone" }).getByRole("listitem").innerText()).resolves.toMatch(/customer_analytics\.watch_customer_metrics_volume[\s\S]*running/);
    expect(reprocessPosts.map((p) => p.body)).toEqual([{ uri: METRICS, partition: PARTITION, dryRun: true }]);
    await page.screenshot({ path: artifactPath("lineage-reprocess-dialog.png") });

    await dialog.getByRole("button", { name: "Confirm" }).click();
    await expect(dialog.getByRole("status").innerText()).resolves.toMatch(/^Cleared 5 task instances; 1 task instance left alone/);
    expect(reprocessPosts.at(-1)?.body).toEqual({ uri: METRICS, partition: PARTITION, dryRun: false });
    expect(reprocessPosts).toHaveLength(2);
    // The waves of the stored reprocess: the first released, the next waiting for it.
    const waves = dialog.getByRole("region", { name: "Reprocess waves" });
    await waves.getByText("Reprocess #5: releasing waves").waitFor();
    await expect(waves.getByRole("listitem").nth(1).innerText()).resolves.toMatch(/wave 2\s+revenue_report[\s\S]*waiting/);
    await page.screenshot({ path: artifactPath("lineage-reprocess-done.png") });
    // The page's answer is invalidated and asked again.
    await expect.poll(() => partitionGets.length).toBeGreaterThan(before);
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "hidden" });
  });

  it("shows a viewer the button disabled with the reason", async () => {
    role = "viewer";
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    watch(viewer);
    try {
      await viewer.goto(`${site.baseUrl}/lineage/partition?uri=${encodeURIComponent(METRICS)}&partition=${PARTITION}`);
      const button = viewer.getByRole("button", { name: "Reprocess downstream" });
      await viewer.getByRole("table", { name: "Downstream task instances" }).waitFor();
      await expect(button.isDisabled()).resolves.toBe(true);
      const describedBy = await button.getAttribute("aria-describedby");
      await expect(viewer.locator(`[id="${describedBy}"]`).innerText()).resolves.toBe("Needs the operator role; you are signed in as a viewer.");
    } finally {
      await viewer.close();
      role = "operator";
    }
  });

  it("follows the dark colour scheme", async () => {
    const dark = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: "dark" });
    watch(dark);
    try {
      await dark.goto(`${site.baseUrl}/lineage`);
      await dark.getByRole("figure", { name: "Lineage graph" }).getByRole("link", { name: METRICS, exact: true }).waitFor();
      await dark.waitForTimeout(300);
      await dark.screenshot({ path: artifactPath("lineage-graph-dark.png"), fullPage: true });
      await dark.goto(`${site.baseUrl}/lineage/dataset?uri=${encodeURIComponent(METRICS)}`);
      await dark.getByRole("table", { name: "Check results" }).waitFor();
      await dark.screenshot({ path: artifactPath("lineage-dataset-dark.png"), fullPage: true });
      await dark.goto(`${site.baseUrl}/lineage/partition?uri=${encodeURIComponent(METRICS)}&partition=${PARTITION}`);
      await dark.getByRole("table", { name: "Downstream task instances" }).waitFor();
      await dark.screenshot({ path: artifactPath("lineage-partition-dark.png"), fullPage: true });
    } finally {
      await dark.close();
    }
  });

  it("runs under the strict CSP without console errors", () => {
    expect(problems).toEqual([]);
  });
});
