import type { Page } from "playwright-core";
import { beforeAll, expect, it } from "vitest";
import { logIn } from "../helpers/login";
import { artifactPath } from "../helpers/paths";
import type { Stack } from "../helpers/stack";
import { useStackPage } from "../helpers/stackPage";

// The real product: customer_analytics runs for one date, which (data-aware scheduling) starts
// customer_segments for the same partition. Lineage then follows warehouse.customer_metrics from
// its inputs to its downstream across both DAGs, and "Reprocess downstream" reruns exactly those.
const DATE = "2024-06-01";
const METRICS = "warehouse.customer_metrics";
const RUN_TIMEOUT = 180_000;

interface RunAnswer {
  state: string;
  taskInstances: Array<{ taskId: string; state: string; tryNumber: number }>;
}

/** GET a JSON resource as the logged-in page (same cookies). */
async function getJson<T>(path: string): Promise<T> {
  const res = await page.request.get(`${stack.baseUrl}${path}`);
  expect(res.status(), `GET ${path}`).toBe(200);
  return (await res.json()) as T;
}

async function runState(dagRunId: number): Promise<string> {
  return (await getJson<RunAnswer>(`/api/runs/${dagRunId}`)).state;
}

/** The id of `dagId`'s run for DATE, once it exists. */
async function runOf(dagId: string): Promise<number> {
  let id: number | undefined;
  await expect
    .poll(
      async () => {
        const runs = await getJson<{ runs: Array<{ dagRunId: number; logicalDate: string }> }>(`/api/runs?dagId=${dagId}&from=${DATE}&to=${DATE}`);
        id = runs.runs[0]?.dagRunId;
        return id !== undefined;
      },
      { timeout: RUN_TIMEOUT, interval: 500 },
    )
    .toBe(true);
  return id!;
}

let stack: Stack;
let page: Page;
let problems: string[] = [];
useStackPage((s) => ({ stack, page, problems } = s));

beforeAll(async () => {
  await logIn(page, stack.baseUrl);
});

it(
  "runs customer_analytics for a date, and the metrics write starts customer_segments for that partition",
  async () => {
    const res = await page.request.post(`${stack.baseUrl}/api/dags/customer_analytics/trigger`, { data: { logicalDate: DATE } });
    expect(res.status()).toBe(201);
    const { dagRunId } = (await res.json()) as { dagRunId: number };
    await expect.poll(() => runState(dagRunId), { timeout: RUN_TIMEOUT, interval: 1000 }).toBe("success");
    const segments = await runOf("customer_segments");
    await expect.poll(() => runState(segments), { timeout: RUN_TIMEOUT, interval: 500 }).toBe("success");
  },
  RUN_TIMEOUT * 2 + 10_000,
);

it("opens Lineage and follows warehouse.customer_metrics from its inputs to its downstream", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Lineage" }).click();
  const graph = page.getByRole("figure", { name: "Lineage graph" });
  await graph.getByRole("link", { name: METRICS, exact: true }).waitFor({ timeout: 30_000 });
  // Across DAGs: customer_analytics writes the metrics, customer_segments (another DAG) reads them.
  await graph.getByRole("link", { name: "Task customer_segments.segment_customers" }).waitFor();
  await page.screenshot({ path: artifactPath("stack-lineage-graph.png"), fullPage: true });

  await graph.getByRole("link", { name: METRICS, exact: true }).click();
  await page.getByRole("heading", { name: `Dataset ${METRICS}` }).waitFor();
  const partitions = page.getByRole("table", { name: "Partitions" });
  await partitions.getByRole("link", { name: `Partition ${DATE}` }).click();
  await page.getByRole("heading", { name: `Partition ${DATE} of ${METRICS}` }).waitFor();

  // Inputs: the raw_orders partition it was computed from, and that partition's own input file.
  const upstream = page.getByRole("list", { name: "Upstream partitions" });
  await upstream.getByRole("link", { name: `warehouse.raw_orders partition ${DATE}` }).waitFor();
  await upstream.getByRole("link", { name: `file://incoming/orders partition ${DATE}` }).waitFor();

  // Downstream: the tasks of customer_analytics that read it, and customer_segments in the other DAG.
  const tasks = page.getByRole("table", { name: "Downstream task instances" });
  for (const task of ["customer_analytics.customer_alerts", "customer_analytics.data_quality", "customer_analytics.check_customer_metrics", "customer_segments.segment_customers"]) {
    await tasks.getByRole("row", { name: new RegExp(task.replace(".", "\\.")) }).waitFor();
  }
  await page.getByRole("list", { name: "Downstream partitions" }).getByRole("link", { name: `warehouse.customer_segments partition ${DATE}` }).waitFor();
  await page.screenshot({ path: artifactPath("stack-lineage-partition.png"), fullPage: true });
});

it("reprocesses the downstream of the partition: a dry run, then exactly those task instances rerun", async () => {
  const segments = await runOf("customer_segments");
  const before = (await getJson<RunAnswer>(`/api/runs/${segments}`)).taskInstances.find((t) => t.taskId === "segment_customers")!;
  await page.getByRole("button", { name: "Reprocess downstream" }).click();
  const dialog = page.getByRole("dialog", { name: "Reprocess downstream" });
  const toClear = dialog.getByRole("list", { name: "Task instances to clear" });
  await toClear.waitFor();
  const listed = await toClear.getByRole("listitem").allInnerTexts();
  expect(listed.some((t) => t.includes("customer_segments.segment_customers"))).toBe(true);
  // The writer of the partition itself is upstream, not downstream.
  expect(listed.some((t) => /customer_analytics\.customer_metrics\b/.test(t))).toBe(false);
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect.poll(async () => dialog.getByRole("status").innerText(), { timeout: 15_000 }).toMatch(/^Cleared \d+ task instances?/);
  await dialog.getByRole("button", { name: "Done" }).click();

  // The cleared task instance reruns (a new try) and succeeds again.
  await expect
    .poll(
      async () => {
        const ti = (await getJson<RunAnswer>(`/api/runs/${segments}`)).taskInstances.find((t) => t.taskId === "segment_customers")!;
        return `${ti.state}:${ti.tryNumber > before.tryNumber}`;
      },
      { timeout: RUN_TIMEOUT, interval: 500 },
    )
    .toBe("success:true");
  expect(problems).toEqual([]);
});
