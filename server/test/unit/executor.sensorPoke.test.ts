import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { afterFalsePoke, sensorTimeout } from "../../src/executor/sensorPoke";
import { jobIdFor, jobIdForRow } from "../../src/executor/dispatcher";
import { fillPlaceholders, globExists } from "../../src/sdk/sensors";

const sensor = { intervalMs: 100, timeoutMs: 1000, exponentialBackoff: false, softFail: false, mode: "reschedule" as const };

describe("afterFalsePoke", () => {
  it("waits the interval; times out instead of scheduling a poke at or past the deadline", () => {
    expect(afterFalsePoke(sensor, 1, 0, 0)).toEqual({ kind: "wait", delayMs: 100 });
    expect(afterFalsePoke(sensor, 9, 0, 899)).toEqual({ kind: "wait", delayMs: 100 });
    expect(afterFalsePoke(sensor, 9, 0, 900)).toEqual({ kind: "timeout" });
    expect(afterFalsePoke(sensor, 9, 500, 1300)).toEqual({ kind: "wait", delayMs: 100 });
  });
  it("doubles the interval per poke with exponentialBackoff", () => {
    const exp = { ...sensor, exponentialBackoff: true, timeoutMs: 1_000_000 };
    expect([1, 2, 3, 4].map((n) => afterFalsePoke(exp, n, 0, 0))).toEqual([100, 200, 400, 800].map((delayMs) => ({ kind: "wait", delayMs })));
  });
  it("times out as NonRetryableError, or SkipError with softFail", () => {
    expect(sensorTimeout(sensor, 3).name).toBe("NonRetryableError");
    expect(sensorTimeout({ ...sensor, softFail: true }, 3).name).toBe("SkipError");
  });
});

describe("job ids of rescheduled pokes", () => {
  it("keep BullMQ's three parts and name each poke", () => {
    expect(jobIdFor(7, 2)).toBe("ti:7:2");
    expect(jobIdFor(7, 2, 3)).toBe("ti:7:2p3");
    expect(jobIdForRow({ id: 7, try_number: 2, state: "up_for_reschedule", sensor_pokes: 3 })).toBe("ti:7:2p3");
    expect(jobIdForRow({ id: 7, try_number: 2, state: "queued", sensor_pokes: 3 })).toBe("ti:7:2");
    expect(jobIdFor(7, 2, 3).split(":")).toHaveLength(3);
  });
});

describe("fileExists globs", () => {
  const dir = mkdtempSync(join(tmpdir(), "runnel-glob-"));
  mkdirSync(join(dir, "a/2024-03-01/deep"), { recursive: true });
  writeFileSync(join(dir, "a/2024-03-01/deep/part-7.csv"), "");
  writeFileSync(join(dir, "a/2024-03-01/_SUCCESS"), "");

  it("fills placeholders", () => {
    expect(fillPlaceholders("in/{ds}/{partition}/{dagId}/{other}", { ds: "2024-03-01", partition: "p", dagId: "d" })).toBe("in/2024-03-01/p/d/{other}");
  });
  it("matches *, ?, [..] within a segment and ** across folders", async () => {
    expect(await globExists(join(dir, "a/2024-03-01/_SUCCESS"))).toBe(true);
    expect(await globExists(join(dir, "a/2024-03-0?/_SUCC*"))).toBe(true);
    expect(await globExists(join(dir, "a/*/deep/part-[0-9].csv"))).toBe(true);
    expect(await globExists(join(dir, "a/**/part-*.csv"))).toBe(true);
    expect(await globExists(join(dir, "a/*/part-*.csv"))).toBe(false);
    expect(await globExists(join(dir, "a/2024-03-02/*"))).toBe(false);
    expect(await globExists(join(dir, "a/2024-03-01/part.csv"))).toBe(false);
  });
});
