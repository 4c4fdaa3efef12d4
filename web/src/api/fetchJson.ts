import { navigate } from "../router";

/** An API call that answered with a non-2xx status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The message and code of an API error body: `{ error: { code, message } }` (or a bare `{ error: "..." }`). */
function errorDetails(body: unknown): { message?: string; code?: string } {
  if (typeof body !== "object" || body === null || !("error" in body)) return {};
  const { error } = body;
  if (typeof error === "string") return { message: error };
  if (typeof error !== "object" || error === null) return {};
  const message = "message" in error && typeof error.message === "string" ? error.message : undefined;
  const code = "code" in error && typeof error.code === "string" ? error.code : undefined;
  return { message, code };
}

/** Paths whose 401 means "wrong password" or "not logged in yet", not "session expired". */
const NO_REDIRECT = ["/api/auth/login", "/api/auth/me"];

/** Sends the browser to the login page, remembering where it was. */
export function redirectToLogin(): void {
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname === "/login") return;
  navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Sent as JSON (`Content-Type: application/json`). */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Calls the Runnel API and parses the JSON answer. The body is trusted to match `T` (the server
 * validates what it sends with the same zod schemas). Rejects with ApiError carrying the server's
 * message on a non-2xx status; a 401 also sends the browser to the login page.
 */
export async function fetchJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method,
    signal: options.signal,
    headers,
    credentials: "same-origin",
    body: method === "GET" ? undefined : JSON.stringify(options.body ?? {}),
  });
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    const { message, code } = errorDetails(body);
    if (response.status === 401 && !NO_REDIRECT.includes(path.split("?")[0] ?? path)) redirectToLogin();
    throw new ApiError(response.status, message ?? `${response.status} ${response.statusText}`, code);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** POSTs `body` as JSON. */
export function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return fetchJson<T>(path, { method: "POST", body });
}

/** `?a=1&b=2` from the defined entries, or "". */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : "";
}
