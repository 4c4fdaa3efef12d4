import type { SerializedTask } from "../model/graph";
import { NonRetryableError, SkipError } from "../sdk/errors";
import type { AttemptLog } from "./attemptLog";

/** A sensor's poke settings, as serialized with its DAG. */
export type SensorSettings = NonNullable<SerializedTask["sensor"]>;

/** What follows a poke that returned false. */
export type AfterFalsePoke = { kind: "wait"; delayMs: number } | { kind: "timeout" };

/**
 * Pure: when to poke again after poke number `pokeNumber` (1-based, in this try) said "not yet".
 * The interval doubles after each poke with `exponentialBackoff` (interval * 2^(n-1)). A poke
 * that would come at or after the deadline (`startedAtMs + timeoutMs`) is not scheduled: the
 * sensor times out now. (This also keeps a poke-mode sensor inside its task timeout, which the
 * serializer sets to the sensor's timeout.)
 */
export function afterFalsePoke(sensor: Pick<SensorSettings, "intervalMs" | "timeoutMs" | "exponentialBackoff">, pokeNumber: number, startedAtMs: number, nowMs: number): AfterFalsePoke {
  const factor = sensor.exponentialBackoff ? 2 ** Math.min(Math.max(0, pokeNumber - 1), 40) : 1;
  const delayMs = Math.max(0, sensor.intervalMs * factor);
  if (nowMs + delayMs >= startedAtMs + sensor.timeoutMs) return { kind: "timeout" };
  return { kind: "wait", delayMs };
}

/** The error a timed-out sensor ends with: SkipError with softFail, else NonRetryableError. */
export function sensorTimeout(sensor: SensorSettings, pokes: number): Error {
  const message = `sensor timed out after ${sensor.timeoutMs} ms (${pokes} poke${pokes === 1 ? "" : "s"})`;
  return sensor.softFail ? new SkipError(`${message}; softFail: skipped`) : new NonRetryableError(message);
}

/**
 * Thrown by a reschedule-mode poke that said "not yet" (never seen by task code): the runner
 * turns it into `up_for_reschedule` and a delayed job for poke `pokeNumber + 1`.
 */
export class PokeRescheduled extends Error {
  constructor(
    readonly pokeNumber: number,
    readonly nextPokeAt: Date,
    readonly firstPokeAt: Date,
  ) {
    super(`poke ${pokeNumber}: not yet`);
  }
}

/** What a poke needs to know about the try it belongs to. */
export interface PokeTry {
  /** Pokes already done in this try (reschedule mode; 0 in poke mode). */
  pokesDone: number;
  /** When the first poke of this try started (the timeout counts from it). */
  startedAt: Date;
}

/**
 * Calls `poke` and checks what it gave: a function means a built-in was called inside the
 * callback (`poke: (ctx) => fileExists(...)`) instead of passed (`poke: fileExists(...)`),
 * which would otherwise count as "condition met".
 */
async function callPoke(poke: () => unknown): Promise<unknown> {
  const result = await poke();
  if (typeof result === "function") {
    throw new NonRetryableError("poke returned a function: pass a built-in sensor as the poke (poke: fileExists(\"...\")), or call it with ctx (fileExists(\"...\")(ctx))");
  }
  return result;
}

/**
 * "reschedule" mode: ONE poke per delivery. A value other than false ends the sensor with it;
 * false throws PokeRescheduled (or the timeout error once the deadline has passed).
 */
export async function pokeOnce(sensor: SensorSettings, poke: () => unknown, at: PokeTry, log: AttemptLog, now: () => number = Date.now): Promise<unknown> {
  const n = at.pokesDone + 1;
  const result = await callPoke(poke);
  if (result !== false) {
    log.info(`poke ${n}: condition met`);
    return result;
  }
  const next = afterFalsePoke(sensor, n, at.startedAt.getTime(), now());
  if (next.kind === "timeout") {
    log.info(`poke ${n}: not yet; timed out`);
    throw sensorTimeout(sensor, n);
  }
  const nextPokeAt = new Date(now() + next.delayMs);
  log.info(`poke ${n}: not yet; next poke at ${nextPokeAt.toISOString()} (slot released)`);
  throw new PokeRescheduled(n, nextPokeAt, at.startedAt);
}

/**
 * "poke" mode: pokes until the condition holds, holding the worker slot and sleeping between
 * pokes (same intervals, backoff and deadline as reschedule mode). Times out as failed, or
 * skipped with softFail.
 */
export async function pokeUntilTrue(sensor: SensorSettings, poke: () => unknown, log: AttemptLog, signal: AbortSignal): Promise<unknown> {
  const startedAtMs = Date.now();
  for (let n = 1; ; n++) {
    const result = await callPoke(poke);
    if (result !== false) {
      log.info(`poke ${n}: condition met`);
      return result;
    }
    const next = afterFalsePoke(sensor, n, startedAtMs, Date.now());
    if (next.kind === "timeout") {
      log.info(`poke ${n}: not yet; timed out`);
      throw sensorTimeout(sensor, n);
    }
    log.info(`poke ${n}: not yet; next poke at ${new Date(Date.now() + next.delayMs).toISOString()}`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, next.delayMs);
      signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
    if (signal.aborted) throw signal.reason;
  }
}
