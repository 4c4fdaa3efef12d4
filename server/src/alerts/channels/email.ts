import { createTransport } from "nodemailer";
import { alertFacts, alertHeadline, type AlertPayload } from "../alertPayload";
import { DELIVERY_TIMEOUT_MS, describeError } from "./httpPost";

/** An alert email: subject, plain-text body and the header carrying the alert id. */
export interface AlertEmail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** Same on a redelivery, so a mail client can de-duplicate it. */
  messageId: string;
  headers: Record<string, string>;
}

/** The email of an alert: subject "[Runnel] task_failed: dag.task 2024-01-01", the facts, the link and the id. */
export function alertEmail(p: AlertPayload, from: string, to: readonly string[]): AlertEmail {
  const facts = alertFacts(p);
  const lines = [`Runnel alert ${alertHeadline(p)}`, ""];
  for (const [label, value] of facts) {
    if (label === "Error") lines.push("", "Error:", value, "");
    else lines.push(`${label}: ${value}`);
  }
  if (Object.keys(p.details).length > 0) lines.push(`Details: ${JSON.stringify(p.details)}`);
  lines.push("", `Open in Runnel: ${p.url}`, `Alert id: ${p.id}`, "");
  return {
    from,
    to: [...to],
    subject: `[Runnel] ${alertHeadline(p)}`.replace(/[\r\n]+/g, " ").slice(0, 250),
    text: lines.join("\n"),
    messageId: `<${p.id}@runnel.alerts>`,
    headers: { "X-Runnel-Alert-Id": p.id },
  };
}

/** nodemailer SMTP options of an smtp:// or smtps:// URL, with timeouts on every step. */
export function smtpOptions(smtpUrl: string, timeoutMs = DELIVERY_TIMEOUT_MS) {
  const u = new URL(smtpUrl);
  const secure = u.protocol === "smtps:";
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
}

/** Sends the alert email through `smtpUrl`; resolves once the server accepted it for every recipient. */
export async function sendEmail(smtpUrl: string, payload: AlertPayload, from: string, to: readonly string[], timeoutMs?: number): Promise<void> {
  const transport = createTransport(smtpOptions(smtpUrl, timeoutMs));
  try {
    const info = await transport.sendMail(alertEmail(payload, from, to));
    const rejected = info.rejected ?? [];
    if (rejected.length > 0) throw new Error(`the SMTP server rejected ${rejected.join(", ")}`);
  } catch (err) {
    throw new Error(`SMTP: ${describeError(err)}`);
  } finally {
    transport.close();
  }
}
