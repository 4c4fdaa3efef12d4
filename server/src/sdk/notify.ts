/**
 * Notifiers for DAG-file callbacks (`import { webhook, slack, email } from "runnel/notify"`):
 *
 * ```ts
 * defineDag({ id: "sales", onFailure: slack(process.env.TEAM_SLACK_URL) }, ...)
 * ```
 *
 * A notifier is a plain description of where to send an alert; the alert sender delivers it
 * through the same channel code as the operator channels (RUNNEL_ALERT_*), with retries, and
 * records its delivery on the Alerts page. Nothing is sent when the DAG file loads. A notifier
 * without a destination (an unset environment variable) makes the DAG file an import error that
 * names the DAG, the task and the hook.
 * @packageDocumentation
 */

const NOTIFIER_BRAND = Symbol.for("runnel.notifier");

/** A JSON POST of the alert payload, with `Runnel-Alert-Id` and, given a secret, `Runnel-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
export interface WebhookNotifier {
  readonly [NOTIFIER_BRAND]: true;
  readonly kind: "webhook";
  /** As given; an empty or missing URL is reported when the DAG file loads. */
  readonly url: string | undefined;
  readonly secret: string | null;
}

/** A Slack message (DAG, task, logical date, error, link) through an incoming-webhook URL. */
export interface SlackNotifier {
  readonly [NOTIFIER_BRAND]: true;
  readonly kind: "slack";
  readonly url: string | undefined;
}

/** An email to `to` through `smtpUrl` (default RUNNEL_SMTP_URL of the scheduler). */
export interface EmailNotifier {
  readonly [NOTIFIER_BRAND]: true;
  readonly kind: "email";
  readonly to: readonly string[];
  readonly smtpUrl: string | null;
}

/** Where a callback sends its alert, instead of running a function. */
export type Notifier = WebhookNotifier | SlackNotifier | EmailNotifier;

/**
 * POSTs the alert as JSON to `url` (the same body as RUNNEL_ALERT_WEBHOOK_URL receives).
 * @param url an http(s) URL; undefined or empty is an import error of the DAG file.
 * @param options.secret signs the body: header `Runnel-Signature: sha256=<hex HMAC-SHA256>`.
 */
export function webhook(url: string | undefined, options: { secret?: string } = {}): WebhookNotifier {
  return { [NOTIFIER_BRAND]: true, kind: "webhook", url, secret: options.secret ?? null };
}

/**
 * Posts a Slack message (DAG, task, logical date, error and a link to the run) to an incoming webhook.
 * @param url the incoming-webhook URL; undefined or empty is an import error of the DAG file.
 */
export function slack(url: string | undefined): SlackNotifier {
  return { [NOTIFIER_BRAND]: true, kind: "slack", url };
}

/**
 * Emails the alert to `to` (one address, a comma-separated list, or an array).
 * @param options.smtpUrl smtp://[user:pass@]host:port (smtps:// for TLS); default RUNNEL_SMTP_URL of the scheduler.
 */
export function email(to: string | readonly string[] | undefined, options: { smtpUrl?: string } = {}): EmailNotifier {
  const list = to === undefined ? [] : typeof to === "string" ? to.split(",") : [...to];
  return {
    [NOTIFIER_BRAND]: true,
    kind: "email",
    to: list.map((a) => (typeof a === "string" ? a.trim() : a)).filter((a) => a !== ""),
    smtpUrl: options.smtpUrl ?? null,
  };
}

/** Whether `value` is a notifier made by any copy of this module. */
export function isNotifier(value: unknown): value is Notifier {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[NOTIFIER_BRAND] === true;
}

/** What is wrong with a notifier (empty when nothing), for the DAG file's import error. */
export function notifierProblems(n: Notifier): string[] {
  const httpUrl = (url: string | undefined, what: string): string[] => {
    if (url === undefined || url.trim() === "") return [`${what} needs a URL, got ${url === undefined ? "undefined (is the environment variable set?)" : "an empty string"}`];
    return /^https?:\/\//.test(url) && URL.canParse(url) ? [] : [`${what} needs an http:// or https:// URL, got ${JSON.stringify(url)}`];
  };
  switch (n.kind) {
    case "webhook":
      return httpUrl(n.url, "webhook(url)");
    case "slack":
      return httpUrl(n.url, "slack(url)");
    case "email": {
      const problems: string[] = [];
      if (n.to.length === 0) problems.push("email(to) needs at least one address, got none (is the environment variable set?)");
      for (const a of n.to) if (!/^[^\s@,]+@[^\s@,]+$/.test(a)) problems.push(`email(to): ${JSON.stringify(a)} is not an email address`);
      if (n.smtpUrl !== null && !(/^smtps?:\/\//.test(n.smtpUrl) && URL.canParse(n.smtpUrl))) {
        problems.push(`email(to, { smtpUrl }) needs an smtp:// or smtps:// URL, got ${JSON.stringify(n.smtpUrl)}`);
      }
      return problems;
    }
  }
}
