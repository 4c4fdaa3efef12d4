import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

/** A local HTTP server for browser tests that do not need the whole stack. */
export interface StaticSite {
  baseUrl: string;
  close(): Promise<void>;
}

/** What a fake API route sees of the request. */
export interface FakeRequest {
  method: string;
  /** Path and query string. */
  url: string;
  /** The parsed JSON body, if any. */
  body: unknown;
}

/** A route answer sent as a Server-Sent Events stream (kept open until the site closes). */
export class SseAnswer {
  constructor(readonly events: { event?: string; data: unknown }[]) {}
}

/** A route answer with a status other than 200. */
export class StatusAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** Answers for exact paths (e.g. `/api/dags`), sent as JSON (or SSE for an SseAnswer). */
export type JsonRoutes = Record<string, (req: FakeRequest) => unknown>;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".map": "application/json",
  ".png": "image/png",
};

// The policy the API server is going to send; tests fail if the bundle needs inline code.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

async function serveFile(root: string, urlPath: string, res: ServerResponse): Promise<void> {
  const relative = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, "");
  const file = join(root, relative);
  const inside = file === root || file.startsWith(root.endsWith(sep) ? root : root + sep);
  // Unknown paths get index.html, like a single-page app's server.
  const body = inside ? await readFile(file).catch(() => undefined) : undefined;
  const [chosen, content] = body ? [file, body] : [join(root, "index.html"), await readFile(join(root, "index.html"))];
  res.writeHead(200, { "content-type": TYPES[extname(chosen)] ?? "application/octet-stream", "content-security-policy": CSP });
  res.end(content);
}

/**
 * Serves the files under `root` (a built web/dist) plus fixed JSON `routes`, with a strict CSP,
 * on 127.0.0.1 and a free port.
 */
export async function startStaticSite(root: string, routes: JsonRoutes = {}): Promise<StaticSite> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = routes[path];
    if (route) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const answer = route({ method: req.method ?? "GET", url: req.url ?? path, body });
        if (answer instanceof SseAnswer) {
          res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
          for (const e of answer.events) res.write(`${e.event ? `event: ${e.event}\n` : ""}data: ${JSON.stringify(e.data)}\n\n`);
          return;
        }
        const [status, json] = answer instanceof StatusAnswer ? [answer.status, answer.body] : [200, answer];
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      });
      return;
    }
    if (path.startsWith("/api/")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "not_found", message: "no such endpoint" } }));
      return;
    }
    serveFile(root, path, res).catch((err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
