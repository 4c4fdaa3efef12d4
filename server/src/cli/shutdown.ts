/** How a long-running `runnel` command ends on SIGTERM/SIGINT. */
export interface ShutdownPlan {
  /** The graceful part: stop taking work, drain, close connections (Runtime.close). */
  close(): Promise<void>;
  /** Stops the servers this process started (private PostgreSQL/Redis); bounded and idempotent. Runs on every path. */
  stopOwned?(): Promise<void>;
  /** Most time the graceful part may take before the process is ended anyway. */
  graceMs: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Default process.exit. */
  exit?(code: number): void;
}

/** The worker drain budget (services.ts's default) plus time to close connections. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 32_000;

/**
 * Installs SIGINT/SIGTERM handlers. The first signal closes gracefully, then stops the owned servers and
 * exits 0. When the grace period runs out (a dependency is gone and something waits on it), or on a
 * second signal, the owned servers are stopped anyway and the process exits 1: a signal always ends it.
 * Returns a function that removes the handlers.
 */
export function exitOnSignals(plan: ShutdownPlan): () => void {
  const exit = plan.exit ?? ((code: number) => process.exit(code));
  const stopOwned = async (): Promise<void> => {
    try {
      await plan.stopOwned?.();
    } catch (err) {
      plan.log.warn({ err }, "could not stop a private server");
    }
  };
  let closing = false;
  let forced = false;
  const force = (reason: string): void => {
    if (forced) return;
    forced = true;
    plan.log.warn({ reason }, "ending without a full graceful shutdown");
    void stopOwned().finally(() => exit(1));
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return force(`second signal (${signal})`);
    closing = true;
    plan.log.info({ signal, graceMs: plan.graceMs }, "shutting down");
    const timer = setTimeout(() => force(`grace period of ${plan.graceMs} ms is over`), plan.graceMs);
    void plan
      .close()
      .catch((err: unknown) => plan.log.warn({ err }, "error while closing"))
      .then(stopOwned)
      .then(() => {
        clearTimeout(timer);
        if (!forced) exit(0);
      });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  };
}
