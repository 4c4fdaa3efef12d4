/**
 * Counts failed logins per key (username + client IP) in a sliding window. In memory, per
 * process: enough to make password guessing slow; several API processes each allow `max`.
 */
export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const kept = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (kept.length) this.failures.set(key, kept);
    else this.failures.delete(key);
    return kept;
  }

  /** True while `key` has had `max` failures within the window. */
  isBlocked(key: string): boolean {
    return this.recent(key).length >= this.max;
  }

  /** Records one failure. */
  fail(key: string): void {
    this.failures.set(key, [...this.recent(key), this.now()]);
    if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value as string);
  }

  /** Forgets the failures of `key` (after a successful login). */
  reset(key: string): void {
    this.failures.delete(key);
  }
}
