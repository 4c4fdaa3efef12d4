/** How long one HTTP or SMTP delivery may take before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** The message of a failed network call, with its cause (fetch says only "fetch failed"). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError" || err.name === "AbortError") return "no answer in time (timed out)";
  const cause = (err as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "";
  return causeText && !err.message.includes(causeText) ? `${err.message}: ${causeText}` : err.message;
}

/**
 * POSTs `body` (JSON text) to `url`; resolves on a 2xx answer, rejects with the status and the
 * start of the answer otherwise, or with the network error. Never names the URL in the error (a
 * Slack webhook URL is a secret).
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "Runnel-Alerts", ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new Error(describeError(err));
  }
  const text = await res.text().catch(() => "");
  if (res.status < 200 || res.status > 299) {
    const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
    throw new Error(`HTTP ${res.status}${snippet ? `: ${snippet}` : ""}`);
  }
}
