/** Helpers for telling and describing why a local service (PostgreSQL, Redis) did not answer. */

/** A URL with its password replaced by `***`, safe to print. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/** The error's `code` (e.g. ECONNREFUSED, 3D000), looking inside AggregateErrors too. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, errors } = err as { code?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  if (Array.isArray(errors)) return errors.map(errorCode).find((c) => c !== undefined);
  return undefined;
}

/** True when nothing listens at the address (connection refused), as opposed to auth or protocol errors. */
export function isConnectionRefused(err: unknown): boolean {
  return errorCode(err) === "ECONNREFUSED";
}

/** Socket-level codes: the server is not there, went away, or the network between is broken. */
const NETWORK_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "ENOTCONN", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * PostgreSQL SQLSTATEs that say "the server cannot serve you right now", not "your statement is
 * wrong": class 08 (connection exception), 57P01-57P03 (shutting down, crashed, starting up),
 * 53300 (too many connections).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300";
}

/** Messages of client libraries that carry no code: pg, knex's pool, ioredis. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // pg: "... unexpectedly", "... due to connection timeout"
  /^Client has encountered a connection error/, // pg: a client reused after its socket died
  /^Knex: Timeout acquiring a connection/, // knex: the pool could not open a connection in time
  /^Connection is closed\.?$/, // ioredis
  /^Reached the max retries per request limit/, // ioredis MaxRetriesPerRequestError
];

/**
 * True when `err` means PostgreSQL or Redis could not be reached or dropped the connection (the
 * one place these are told apart from errors of the statement or of task code). Work that meets
 * one must be handed back or retried, never recorded as a failure: the same call succeeds once
 * the server answers. Looks through `cause` chains and AggregateErrors.
 */
export function isInfrastructureError(err: unknown, depth = 0): boolean {
  if (typeof err !== "object" || err === null || depth > 5) return false;
  const { code, errors, cause, message, name } = err as { code?: unknown; errors?: unknown; cause?: unknown; message?: unknown; name?: unknown };
  if (typeof code === "string" && (NETWORK_CODES.has(code) || isUnavailableSqlState(code))) return true;
  if (name === "KnexTimeoutError" || name === "MaxRetriesPerRequestError") return true;
  if (typeof message === "string" && UNAVAILABLE_MESSAGES.some((re) => re.test(message))) return true;
  if (Array.isArray(errors) && errors.some((e) => isInfrastructureError(e, depth + 1))) return true;
  return cause !== undefined && isInfrastructureError(cause, depth + 1);
}

/** A one-line reason, for messages that tell the user what to do. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || errorCode(err) || err.name;
  return String(err);
}
