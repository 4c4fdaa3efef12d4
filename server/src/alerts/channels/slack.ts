import { alertFacts, alertHeadline, type AlertPayload } from "../alertPayload";
import { postJson } from "./httpPost";

/** Slack mrkdwn needs &, < and > escaped in user text (DAG ids, errors). */
function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Slack limits a section's text to 3000 characters. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A Slack block (the subset used here). */
export type SlackBlock =
  | { type: "header"; text: { type: "plain_text"; text: string } }
  | { type: "section"; text: { type: "mrkdwn"; text: string } }
  | { type: "context"; elements: Array<{ type: "mrkdwn"; text: string }> };

/** The Slack message of an alert: a plain `text` (notifications, old clients) and blocks with the facts and a link. */
export function slackMessage(p: AlertPayload): { text: string; blocks: SlackBlock[] } {
  const headline = alertHeadline(p);
  const facts = alertFacts(p).filter(([label]) => label !== "Error" && label !== "Occurred");
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: clip(`Runnel ${headline}`, 150) } },
    { type: "section", text: { type: "mrkdwn", text: clip(facts.map(([label, value]) => `*${label}:* ${esc(value)}`).join("\n"), 3000) } },
  ];
  if (p.error !== null) blocks.push({ type: "section", text: { type: "mrkdwn", text: clip(`*Error:*\n\`\`\`${esc(p.error).replace(/```/g, "'''")}\`\`\``, 3000) } });
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `<${p.url}|Open in Runnel> · alert ${p.id}` }] });
  const text = `Runnel ${headline}${p.error !== null ? `: ${clip(p.error, 500)}` : ""} ${p.url}`;
  return { text, blocks };
}

/** Posts the message to a Slack incoming webhook; resolves on 2xx. */
export async function sendSlack(url: string, payload: AlertPayload, timeoutMs?: number): Promise<void> {
  await postJson(url, JSON.stringify(slackMessage(payload)), { "Runnel-Alert-Id": payload.id }, timeoutMs);
}
