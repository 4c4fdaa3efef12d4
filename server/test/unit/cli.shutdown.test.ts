import { afterEach, describe, expect, it } from "vitest";
import { exitOnSignals, type ShutdownPlan } from "../../src/cli/shutdown";

const uninstall: Array<() => void> = [];
afterEach(() => {
  for (const u of uninstall.splice(0)) u();
});

/** A plan whose close() never settles (a dependency that hangs), recording what happened. */
function hangingPlan(graceMs: number): { plan: ShutdownPlan; events: string[]; exited: Promise<number> } {
  const events: string[] = [];
  let exit!: (code: number) => void;
  const exited = new Promise<number>((r) => (exit = r));
  const plan: ShutdownPlan = {
    close: () => new Promise<void>(() => events.push("close")),
    stopOwned: async () => void events.push("stopOwned"),
    graceMs,
    log: { info: () => undefined, warn: () => undefined },
    exit: (code) => {
      events.push(`exit ${code}`);
      exit(code);
    },
  };
  return { plan, events, exited };
}

describe("exitOnSignals", () => {
  it("ends the process when the grace period is over although close() hangs, stopping the owned servers first", async () => {
    const { plan, events, exited } = hangingPlan(200);
    uninstall.push(exitOnSignals(plan));
    const t0 = Date.now();
    process.emit("SIGTERM", "SIGTERM");
    expect(await exited).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(events).toEqual(["close", "stopOwned", "exit 1"]);
  });

  it("ends at once on a second signal", async () => {
    const { plan, events, exited } = hangingPlan(60_000);
    uninstall.push(exitOnSignals(plan));
    const t0 = Date.now();
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGINT", "SIGINT");
    expect(await exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(events).toEqual(["close", "stopOwned", "exit 1"]);
  });

  it("exits 0 after a graceful close, having stopped the owned servers", async () => {
    const events: string[] = [];
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    uninstall.push(
      exitOnSignals({
        close: async () => void events.push("close"),
        stopOwned: async () => void events.push("stopOwned"),
        graceMs: 5_000,
        log: { info: () => undefined, warn: () => undefined },
        exit: (code) => {
          events.push(`exit ${code}`);
          exit(code);
        },
      }),
    );
    process.emit("SIGINT", "SIGINT");
    expect(await exited).toBe(0);
    expect(events).toEqual(["close", "stopOwned", "exit 0"]);
  });
});
