import { createHmac } from "node:crypto";
import type { AlertPayload } from "../alertPayload";
import { postJson } from "./httpPost";

/** `sha256=<hex HMAC-SHA256 of body with secret>`: the value of the `Runnel-Signature` header. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/** The exact body and headers of a webhook alert (the signature covers these body bytes). */
export function webhookRequest(payload: AlertPayload, secret: string | null): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { "Runnel-Alert-Id": payload.id };
  if (secret) headers["Runnel-Signature"] = signBody(secret, body);
  return { body, headers };
}

/** POSTs the payload as JSON; resolves on 2xx, rejects otherwise (see postJson). */
export async function sendWebhook(url: string, payload: AlertPayload, secret: string | null, timeoutMs?: number): Promise<void> {
  const { body, headers } = webhookRequest(payload, secret);
  await postJson(url, body, headers, timeoutMs);
}
