import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Runtime } from "../runtime/runtime";
import { listDagSummaries } from "./dagsSummary";

export const WEB_DIST = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

/** Security headers on every response: no inline script, no framing, no sniffing. */
function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader(
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Referrer-Policy", "no-referrer");
  next();
}

/**
 * The HTTP app: /health, /metrics, the read-only DAG list the placeholder page uses, and the
 * built dashboard. (The authenticated REST API arrives with the dashboard issue.)
 */
export function createApp(rt: Runtime): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(securityHeaders);

  app.get("/health", async (_req, res) => {
    const checks = await Promise.allSettled([rt.db.raw("SELECT 1"), rt.redis.ping()]);
    const [pgOk, redisOk] = checks.map((c) => c.status === "fulfilled");
    res.status(pgOk && redisOk ? 200 : 503).json({ status: pgOk && redisOk ? "ok" : "degraded", postgres: pgOk ? "ok" : "down", redis: redisOk ? "ok" : "down" });
  });

  app.get("/metrics", async (_req, res) => {
    try {
      const counts = await rt.dispatcher.queue.getJobCounts("waiting", "active", "delayed", "prioritized", "failed");
      for (const [state, n] of Object.entries(counts)) rt.metrics.queueDepth.set({ state }, n);
    } catch {
      // Redis down: serve the other metrics anyway.
    }
    res.setHeader("Content-Type", rt.metrics.registry.contentType);
    res.send(await rt.metrics.registry.metrics());
  });

  app.get("/api/dags", async (_req, res, next) => {
    try {
      res.json(await listDagSummaries(rt.db, rt.registry));
    } catch (err) {
      next(err);
    }
  });

  app.use("/api", (_req, res) => {
    res.status(404).json({ error: { code: "not_found", message: "no such endpoint" } });
  });

  if (existsSync(WEB_DIST)) {
    app.use(express.static(WEB_DIST, { index: "index.html" }));
    app.get(/^\/(?!api\/).*/, (_req, res) => res.sendFile("index.html", { root: WEB_DIST }));
  } else {
    app.get("/", (_req, res) => {
      res.type("text/plain").send("Runnel is running. The dashboard is not built: run `pnpm --filter runnel-web build`.");
    });
  }

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    rt.log.error({ err }, "request failed");
    res.status(500).json({ error: { code: "internal", message: "internal error" } });
  });
  return app;
}
