/** Helpers for describing why a local service did not answer. */

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

/** A one-line reason, for messages that tell the user what to do. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || errorCode(err) || err.name;
  return String(err);
}
