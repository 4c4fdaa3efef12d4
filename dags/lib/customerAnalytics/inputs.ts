/**
 * The landing zone the customer-analytics pipeline reads orders from, like an S3 prefix an
 * upstream system drops a file into every day: `<RUNNEL_DATA_DIR>/incoming/orders/<ds>.json`
 * (RUNNEL_DATA_DIR defaults to `./.runnel/data`, relative to the working directory).
 * `generateInputs` plays that upstream system: it drops the day's file (deterministic per date
 * and region), and the `wait_for_orders` sensor waits for it without holding a worker slot.
 */
import { join } from "node:path";
import type { TaskContext } from "runnel";
import { generateOrders, type SourceDay } from "./generate";

/** The data folder: env RUNNEL_DATA_DIR, default `./.runnel/data`. */
export function dataDir(): string {
  return process.env.RUNNEL_DATA_DIR ?? "./.runnel/data";
}

/** The orders file pattern for `fileExists` (its `{ds}` is filled from the sensor's context). */
export function ordersFilePattern(): string {
  return join(dataDir(), "incoming/orders/{ds}.json");
}

/** The lineage dataset of the orders files: one dataset, a partition per day (declared as generate_inputs' output). */
export const ORDERS_DATASET = "file://incoming/orders";

/** The orders file of one day. */
export function ordersFile(ds: string): string {
  return ordersFilePattern().replace("{ds}", ds);
}

type Ctx = TaskContext<unknown, { region: string; customers: number }>;

function sourceDay(ctx: Ctx): SourceDay {
  return { ds: ctx.ds, region: ctx.params.region, customers: ctx.params.customers, start: ctx.dataInterval.start, end: ctx.dataInterval.end };
}

/** Drops the day's orders file (atomically: temp file + rename), as the upstream system would. */
export async function generateInputs(ctx: Ctx): Promise<{ orders: string; records: number }> {
  const records = generateOrders(sourceDay(ctx));
  const path = ordersFile(ctx.ds);
  await ctx.files.overwrite(path, JSON.stringify(records), { dataset: ORDERS_DATASET, partition: ctx.ds, rowCount: records.length });
  return { orders: path, records: records.length };
}

/** Reads the day's orders file (recorded as the task's input): a JSON array of order records (validated by the extract). */
export async function readOrders(ctx: Pick<Ctx, "files">, ds: string): Promise<unknown[]> {
  const parsed: unknown = JSON.parse(await ctx.files.read(ordersFile(ds), { dataset: ORDERS_DATASET, partition: ds, encoding: "utf8" }));
  if (!Array.isArray(parsed)) throw new Error(`${ordersFile(ds)} is not a JSON array`);
  return parsed;
}
