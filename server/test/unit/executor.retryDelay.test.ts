import { describe, expect, it } from "vitest";
import { computeRetryDelay, type RetryPolicy } from "../../src/executor/retryDelay";

const exp: RetryPolicy = { retryDelayMs: 1000, backoff: "exponential", maxRetryDelayMs: 10_000, jitter: 0 };

describe("computeRetryDelay", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [12, 10_000],
  ])("exponential: after try %i waits %i ms (capped by maxRetryDelay)", (failedTry, expected) => {
    expect(computeRetryDelay(exp, failedTry)).toBe(expected);
  });

  it("fixed backoff waits retryDelay every time", () => {
    const fixed = { ...exp, backoff: "fixed" as const };
    expect([1, 2, 5].map((t) => computeRetryDelay(fixed, t))).toEqual([1000, 1000, 1000]);
  });

  it("jitter spreads the delay over ±jitter of its length", () => {
    const jittered = { ...exp, jitter: 0.2 };
    expect(computeRetryDelay(jittered, 2, () => 0)).toBe(1600);
    expect(computeRetryDelay(jittered, 2, () => 0.5)).toBe(2000);
    expect(computeRetryDelay(jittered, 2, () => 0.999999)).toBe(2400);
  });
});
