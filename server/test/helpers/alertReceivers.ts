import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import type { AlertSenderOptions } from "../../src/alerts/alertSender";
import { loadConfig, type AlertsConfig, type RunnelConfig } from "../../src/config/config";
import { createLogger, silentLogger } from "../../src/obs/logger";
import { Runtime } from "../../src/runtime/runtime";
import { startScheduler, startWorker } from "../../src/runtime/services";
import type { Db } from "../../src/store/db";
import { waitFor, type Engine } from "./engine";

/** One request an HTTP receiver got, with what it answered. */
export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  /** The exact body text. */
  body: string;
  status: number;
  at: number;
}

/** A real HTTP receiver on 127.0.0.1 (alert webhooks, Slack): records every request and answers `status`. */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** What the next requests get. */
  status = 200;
  url = "";
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const status = this.status;
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), status, at: Date.now() });
        res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "receiver down");
      });
    });
  }

  static async start(status = 200): Promise<HttpReceiver> {
    const r = new HttpReceiver();
    r.status = status;
    await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", resolve));
    r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
    return r;
  }

  /** Requests answered 2xx. */
  accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** How many 2xx answers each Runnel-Alert-Id got. */
  acceptedById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.accepted()) {
      const id = String(r.headers["runnel-alert-id"]);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One email an SMTP receiver accepted. */
export interface ReceivedEmail {
  from: string;
  to: string[];
  /** Header name (lower case) -> unfolded value. */
  headers: Map<string, string>;
  /** The body, quoted-printable soft breaks and escapes decoded. */
  text: string;
}

/** Headers (unfolded) and text (quoted-printable decoded) of a raw message. */
function parseEmail(raw: string, from: string, to: string[]): ReceivedEmail {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let text = raw.slice(split + 4);
  if (/quoted-printable/i.test(headers.get("content-transfer-encoding") ?? "")) {
    text = Buffer.from(text.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");
  }
  return { from, to, headers, text };
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 without TLS or auth, keeping every message. */
export class SmtpReceiver {
  readonly emails: ReceivedEmail[] = [];
  url = "";
  private readonly server: SMTPServer;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      // No reverse DNS of 127.0.0.1 before the greeting: a slow resolver would stall every email.
      disableReverseLookup: true,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          this.emails.push(parseEmail(Buffer.concat(chunks).toString("utf8"), session.envelope.mailFrom ? session.envelope.mailFrom.address : "", session.envelope.rcptTo.map((r) => r.address)));
          callback();
        });
      },
    });
  }

  static async start(): Promise<SmtpReceiver> {
    const r = new SmtpReceiver();
    await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", () => resolve()));
    r.url = `smtp://127.0.0.1:${(r.server.server.address() as AddressInfo).port}`;
    return r;
  }

  /** How many emails each X-Runnel-Alert-Id got. */
  byId(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.emails) {
      const id = e.headers.get("x-runnel-alert-id") ?? "";
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Alert settings as the environment gives them (RUNNEL_ALERT_*, RUNNEL_SMTP_URL, RUNNEL_PUBLIC_URL). */
export function alertsFromEnv(env: Record<string, string | undefined>): AlertsConfig {
  return loadConfig(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined))).alerts;
}

/** Scheduler (with its alert sender, tuned by `sender`) and worker in this process, as startEngine but with sender options. */
export async function startAlertEngine(config: RunnelConfig, sender: Partial<AlertSenderOptions> = {}, opts: { worker?: boolean } = {}): Promise<Engine> {
  const logger = process.env.ALERT_TEST_LOG ? createLogger(process.env.ALERT_TEST_LOG, "test") : silentLogger();
  const rt = await Runtime.open(config, { component: "test", migrate: true, syncDags: true, warehouse: true, logger });
  const scheduler = startScheduler(rt, { alertSender: sender });
  if (opts.worker !== false) startWorker(rt);
  return { rt, scheduler, close: () => rt.close() };
}

/** The outbox rows of some events with their deliveries, for assertions. */
export interface EventWithDeliveries {
  id: string;
  event: string;
  task_id: string | null;
  error: string | null;
  details: Record<string, unknown>;
  fanned_out_at: Date | null;
  deliveries: Array<{ channel: string; state: string; attempts: number; last_error: string | null }>;
}

/** Events matching `where` (knex where on alert_events), oldest first, with their deliveries by channel name. */
export async function eventsWhere(db: Db, where: Record<string, unknown>): Promise<EventWithDeliveries[]> {
  const events = await db("alert_events").where(where).orderBy("seq").select<Array<Omit<EventWithDeliveries, "deliveries">>>("id", "event", "task_id", "error", "details", "fanned_out_at");
  const deliveries = await db("alert_deliveries")
    .whereIn("event_id", events.map((e) => e.id))
    .orderBy("channel")
    .select<Array<{ event_id: string; channel: string; state: string; attempts: number; last_error: string | null }>>("event_id", "channel", "state", "attempts", "last_error");
  return events.map((e) => ({ ...e, deliveries: deliveries.filter((d) => d.event_id === e.id).map(({ event_id: _, ...d }) => d) }));
}

/** Waits until the events matching `where` number `count`, are fanned out, and every delivery of them is in `state` (default sent). */
export async function waitDelivered(db: Db, where: Record<string, unknown>, count: number, opts: { state?: string; channels?: number; timeoutMs?: number } = {}): Promise<EventWithDeliveries[]> {
  const state = opts.state ?? "sent";
  return waitFor(
    `${count} alert events (${JSON.stringify(where)}) with every delivery ${state}`,
    async () => {
      const events = await eventsWhere(db, where);
      if (events.length !== count) return undefined;
      const ok = events.every((e) => e.fanned_out_at !== null && (opts.channels === undefined || e.deliveries.length === opts.channels) && e.deliveries.every((d) => d.state === state));
      return ok ? events : undefined;
    },
    opts.timeoutMs ?? 30_000,
  );
}
