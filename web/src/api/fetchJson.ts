/** An API call that answered with a non-2xx status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The message of an API error body: `{ error: { code, message } }` (or a bare `{ error: "..." }`). */
function errorMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("error" in body)) return undefined;
  const { error } = body;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") return error.message;
  return undefined;
}

/**
 * GETs `path` from the Runnel API and parses the JSON body.
 * The body is trusted to match `T` (the server validates what it sends); rejects with ApiError on
 * a non-2xx status, with the server's error message when it gives one.
 */
export async function fetchJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { signal, headers: { accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    throw new ApiError(response.status, `${response.status} ${errorMessage(body) ?? response.statusText}`);
  }
  return (await response.json()) as T;
}
