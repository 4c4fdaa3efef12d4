/** The retry policy of one task, in milliseconds (from the serialized graph). */
export interface RetryPolicy {
  retryDelayMs: number;
  backoff: "fixed" | "exponential";
  maxRetryDelayMs: number;
  /** 0..1: the delay is spread uniformly over ±jitter of its length. */
  jitter: number;
}

/**
 * Delay before the try after `failedTry` (1-based). Exponential doubles per failed try:
 * retryDelay, 2*retryDelay, 4*retryDelay ... capped at maxRetryDelay, then jittered so that
 * tasks failing together do not retry in lockstep. `random` is injected for tests.
 */
export function computeRetryDelay(policy: RetryPolicy, failedTry: number, random: () => number = Math.random): number {
  const base =
    policy.backoff === "exponential"
      ? Math.min(policy.retryDelayMs * 2 ** Math.max(0, failedTry - 1), policy.maxRetryDelayMs)
      : policy.retryDelayMs;
  const jitter = Math.min(Math.max(policy.jitter, 0), 1);
  if (jitter === 0) return Math.round(base);
  const spread = base * jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
