import { resolve } from "node:path";
import { z } from "zod";
import { parseRetentionMs, RETENTION_FORMAT } from "../model/retention";

/** Where the default local services live; `pnpm start` falls back to private ones under `.runnel/`. */
export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/runnel";
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v), { message: "must be a postgres:// URL, e.g. postgres://user@host:5432/db" });
const redisUrl = z.string().refine(
  (v) => {
    if (!/^rediss?:\/\//.test(v) || !URL.canParse(v)) return false;
    const db = new URL(v).pathname.replace(/^\//, "");
    return db === "" || /^\d+$/.test(db);
  },
  { message: "must be a redis:// URL with an optional database number, e.g. redis://127.0.0.1:6379/3" },
);
const positiveInt = z.coerce.number().int().positive();
const httpUrl = z.string().refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), { message: "must be an http:// or https:// URL" });

/** The environment Runnel reads, validated at startup. */
export const EnvSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  REDIS_URL: redisUrl.optional(),
  /** Where Runnel looks first when DATABASE_URL is unset (default postgres://postgres@127.0.0.1:5432/runnel). */
  RUNNEL_DEFAULT_DATABASE_URL: postgresUrl.optional(),
  /** Where Runnel looks first when REDIS_URL is unset (default redis://127.0.0.1:6379). */
  RUNNEL_DEFAULT_REDIS_URL: redisUrl.optional(),
  RUNNEL_DAGS_FOLDER: z.string().min(1).default("./dags"),
  /** Postgres that partition overwrites write to; default: DATABASE_URL. */
  RUNNEL_WAREHOUSE_URL: postgresUrl.optional(),
  RUNNEL_WAREHOUSE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a plain lower-case SQL identifier").default("warehouse"),
  RUNNEL_WORKER_CONCURRENCY: positiveInt.default(8),
  /** BullMQ key prefix; lets several Runnel installs share one Redis. */
  RUNNEL_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_:.-]+$/, "letters, digits and _ : . - only").default("runnel"),
  RUNNEL_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** Milliseconds between scheduler ticks (run creation, starting runs, admitting roots; downstream tasks never wait for one: workers queue them on completion). */
  RUNNEL_SCHEDULER_INTERVAL_MS: positiveInt.default(1000),
  RUNNEL_RECONCILE_INTERVAL_MS: positiveInt.default(5000),
  /** A running task with no heartbeat for this long is a zombie. */
  RUNNEL_ZOMBIE_TIMEOUT_MS: positiveInt.default(60_000),
  /** Most logical dates one backfill may cover (a larger range is refused with a 400). */
  RUNNEL_BACKFILL_MAX_RUNS: positiveInt.default(10_000),
  /** Most bytes of log one try stores (message + fields); later lines are dropped and counted in one final line. Default 10 MB. */
  RUNNEL_MAX_LOG_BYTES_PER_TRY: positiveInt.default(10 * 1024 * 1024),
  /**
   * OpenLineage HTTP endpoint (e.g. Marquez). Events are POSTed to `<url>/api/v1/lineage`, or to
   * the URL itself when its path already ends in `/api/v1/lineage`.
   */
  RUNNEL_OPENLINEAGE_URL: z
    .string()
    .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), { message: "must be an http:// or https:// URL" })
    .optional(),
  /** File that OpenLineage events are appended to, one JSON object per line. */
  RUNNEL_OPENLINEAGE_FILE: z.string().min(1).optional(),
  /** OpenLineage job namespace of Runnel's DAGs and tasks. */
  RUNNEL_OPENLINEAGE_NAMESPACE: z.string().min(1).default("runnel"),
  /** OpenLineage namespace of warehouse tables; default `postgres://<host>:<port>` of RUNNEL_WAREHOUSE_URL. */
  RUNNEL_OPENLINEAGE_DATASET_NAMESPACE: z.string().min(1).optional(),
  /** Keep this much run history (e.g. 90d): the leading scheduler runs `db clean --before <it>` once a day. Unset: never. */
  RUNNEL_RETENTION: z.string().refine((v) => parseRetentionMs(v) !== null, { message: RETENTION_FORMAT }).optional(),
  /** Where people reach the dashboard (e.g. https://runnel.example.com): alert links point there. Default http://127.0.0.1:8080. */
  RUNNEL_PUBLIC_URL: httpUrl.optional(),
  /** Alerts as a JSON POST to this URL. */
  RUNNEL_ALERT_WEBHOOK_URL: httpUrl.optional(),
  /** With it, webhook alerts carry `Runnel-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
  RUNNEL_ALERT_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Alerts as Slack messages through this incoming-webhook URL. */
  RUNNEL_ALERT_SLACK_URL: httpUrl.optional(),
  /** Alerts by email to these addresses (comma-separated), through RUNNEL_SMTP_URL. */
  RUNNEL_ALERT_EMAIL_TO: z
    .string()
    .refine((v) => v.split(",").every((a) => /^[^\s@,]+@[^\s@,]+$/.test(a.trim())), { message: "must be email addresses separated by commas" })
    .optional(),
  /** The From of alert emails. Default runnel@<host of RUNNEL_PUBLIC_URL, else localhost>. */
  RUNNEL_ALERT_EMAIL_FROM: z.string().min(3).optional(),
  /** SMTP server for alert emails: smtp://[user:pass@]host:port (smtps:// for TLS from the first byte). */
  RUNNEL_SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\//.test(v) && URL.canParse(v), { message: "must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail:587" })
    .optional(),
  /** One dead_letters_over alert when a DAG's open dead letters go over this many (again only after they fall back). */
  RUNNEL_ALERT_DEAD_LETTERS_OVER: positiveInt.default(100),
  /** Stop retrying an alert delivery this long after its event (e.g. 24h, 30m, 2d). */
  RUNNEL_ALERT_MAX_AGE: z.string().refine((v) => parseRetentionMs(v) !== null, { message: RETENTION_FORMAT }).default("24h"),
});

/** Where alerts go (RUNNEL_ALERT_* and RUNNEL_SMTP_URL); a channel is null when not configured. */
export interface AlertsConfig {
  /** Base of the dashboard links in alerts, without a trailing slash. */
  publicUrl: string;
  webhook: { url: string; secret: string | null } | null;
  slackUrl: string | null;
  email: { to: string[]; from: string; smtpUrl: string } | null;
  /** RUNNEL_SMTP_URL, also without RUNNEL_ALERT_EMAIL_TO: the server of `email(...)` notifiers in DAG files that name none. */
  smtpUrl?: string | null;
  /** RUNNEL_ALERT_EMAIL_FROM, also without RUNNEL_ALERT_EMAIL_TO (the From of notifier emails). */
  emailFrom?: string;
  /** RUNNEL_ALERT_DEAD_LETTERS_OVER. */
  deadLettersOver: number;
  /** RUNNEL_ALERT_MAX_AGE in milliseconds. */
  maxAgeMs: number;
}

/** Where OpenLineage events go (at least one of `url` and `file` is set). */
export interface OpenLineageConfig {
  /** The endpoint events are POSTed to, ending in `/api/v1/lineage`; null for none. */
  url: string | null;
  /** Absolute path of a JSON-lines file events are appended to; null for none. */
  file: string | null;
  /** Job namespace (RUNNEL_OPENLINEAGE_NAMESPACE). */
  namespace: string;
  /** Namespace of warehouse datasets; null: derived from the warehouse URL. */
  datasetNamespace: string | null;
}

/** The lineage endpoint for RUNNEL_OPENLINEAGE_URL: the URL itself when it already ends in /api/v1/lineage, else that path appended. */
export function openLineageEndpoint(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, "");
  if (!path.endsWith("/api/v1/lineage")) u.pathname = `${path}/api/v1/lineage`;
  return u.toString();
}

export interface RunnelConfig {
  databaseUrl: string;
  /** True when DATABASE_URL was not set, so `start` may create the database or start a private server. */
  databaseUrlIsDefault: boolean;
  redisUrl: string;
  redisUrlIsDefault: boolean;
  dagsFolder: string;
  warehouseUrl: string;
  warehouseSchema: string;
  workerConcurrency: number;
  queuePrefix: string;
  logLevel: z.infer<typeof EnvSchema>["RUNNEL_LOG_LEVEL"];
  schedulerIntervalMs: number;
  reconcileIntervalMs: number;
  zombieTimeoutMs: number;
  /** Most logical dates one backfill may cover (RUNNEL_BACKFILL_MAX_RUNS). */
  backfillMaxRuns: number;
  /** Most bytes of log stored per try (RUNNEL_MAX_LOG_BYTES_PER_TRY); the rest is dropped and counted in a final line. */
  maxLogBytesPerTry: number;
  /** OpenLineage export; null (neither RUNNEL_OPENLINEAGE_URL nor RUNNEL_OPENLINEAGE_FILE set) turns it off. */
  openLineage: OpenLineageConfig | null;
  /** RUNNEL_RETENTION in milliseconds; null: history is never cleaned automatically. */
  retentionMs: number | null;
  alerts: AlertsConfig;
}

/** A configuration problem, with every bad variable named. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Reads and validates the environment; throws ConfigError naming each bad variable and value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<RunnelConfig> = {}): RunnelConfig {
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== "")));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      return `  ${key}=${JSON.stringify(env[key] ?? "")}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (e.RUNNEL_ALERT_EMAIL_TO !== undefined && e.RUNNEL_SMTP_URL === undefined) {
    throw new ConfigError(`Invalid configuration:\n  RUNNEL_ALERT_EMAIL_TO=${JSON.stringify(e.RUNNEL_ALERT_EMAIL_TO)}: needs RUNNEL_SMTP_URL (the SMTP server that sends the email)`);
  }
  const databaseUrl = e.DATABASE_URL ?? e.RUNNEL_DEFAULT_DATABASE_URL ?? DEFAULT_DATABASE_URL;
  return {
    databaseUrl,
    databaseUrlIsDefault: e.DATABASE_URL === undefined,
    redisUrl: e.REDIS_URL ?? e.RUNNEL_DEFAULT_REDIS_URL ?? DEFAULT_REDIS_URL,
    redisUrlIsDefault: e.REDIS_URL === undefined,
    dagsFolder: resolve(e.RUNNEL_DAGS_FOLDER),
    warehouseUrl: e.RUNNEL_WAREHOUSE_URL ?? databaseUrl,
    warehouseSchema: e.RUNNEL_WAREHOUSE_SCHEMA,
    workerConcurrency: e.RUNNEL_WORKER_CONCURRENCY,
    queuePrefix: e.RUNNEL_QUEUE_PREFIX,
    logLevel: e.RUNNEL_LOG_LEVEL,
    schedulerIntervalMs: e.RUNNEL_SCHEDULER_INTERVAL_MS,
    reconcileIntervalMs: e.RUNNEL_RECONCILE_INTERVAL_MS,
    zombieTimeoutMs: e.RUNNEL_ZOMBIE_TIMEOUT_MS,
    backfillMaxRuns: e.RUNNEL_BACKFILL_MAX_RUNS,
    maxLogBytesPerTry: e.RUNNEL_MAX_LOG_BYTES_PER_TRY,
    openLineage:
      e.RUNNEL_OPENLINEAGE_URL === undefined && e.RUNNEL_OPENLINEAGE_FILE === undefined
        ? null
        : {
            url: e.RUNNEL_OPENLINEAGE_URL === undefined ? null : openLineageEndpoint(e.RUNNEL_OPENLINEAGE_URL),
            file: e.RUNNEL_OPENLINEAGE_FILE === undefined ? null : resolve(e.RUNNEL_OPENLINEAGE_FILE),
            namespace: e.RUNNEL_OPENLINEAGE_NAMESPACE,
            datasetNamespace: e.RUNNEL_OPENLINEAGE_DATASET_NAMESPACE ?? null,
          },
    retentionMs: e.RUNNEL_RETENTION === undefined ? null : parseRetentionMs(e.RUNNEL_RETENTION),
    alerts: alertsConfig(e),
    ...overrides,
  };
}

function alertsConfig(e: z.infer<typeof EnvSchema>): AlertsConfig {
  const publicUrl = (e.RUNNEL_PUBLIC_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
  const emailFrom = e.RUNNEL_ALERT_EMAIL_FROM ?? `runnel@${new URL(publicUrl).hostname}`;
  return {
    publicUrl,
    webhook: e.RUNNEL_ALERT_WEBHOOK_URL === undefined ? null : { url: e.RUNNEL_ALERT_WEBHOOK_URL, secret: e.RUNNEL_ALERT_WEBHOOK_SECRET ?? null },
    slackUrl: e.RUNNEL_ALERT_SLACK_URL ?? null,
    email:
      e.RUNNEL_ALERT_EMAIL_TO === undefined || e.RUNNEL_SMTP_URL === undefined
        ? null
        : {
            to: e.RUNNEL_ALERT_EMAIL_TO.split(",").map((a) => a.trim()),
            from: emailFrom,
            smtpUrl: e.RUNNEL_SMTP_URL,
          },
    smtpUrl: e.RUNNEL_SMTP_URL ?? null,
    emailFrom,
    deadLettersOver: e.RUNNEL_ALERT_DEAD_LETTERS_OVER,
    maxAgeMs: parseRetentionMs(e.RUNNEL_ALERT_MAX_AGE)!,
  };
}
