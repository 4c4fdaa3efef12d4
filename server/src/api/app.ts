import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Runtime } from "../runtime/runtime";
import { countOpenByDag } from "../store/deadLetterActions";
import { authenticate } from "./auth/authenticate";
import { checkHealth } from "./health";
import { errorHandler } from "./http";
import { buildOpenApiDocument } from "./openapi";
import { rejectNulCharacters, requireJsonBodies } from "./requestGuards";
import { alertsRouter } from "./routes/alerts";
import { auditRouter } from "./routes/audit";
import { backfillsRouter } from "./routes/backfills";
import { authRouter } from "./routes/auth";
import { dagsRouter } from "./routes/dags";
import { deadLettersRouter } from "./routes/deadLetters";
import { eventsRouter } from "./routes/events";
import { lineageRouter } from "./routes/lineage";
import { runChecksRouter } from "./routes/runChecks";
import { runsRouter } from "./routes/runs";
import { taskInstancesRouter } from "./routes/taskInstances";
import { tokensRouter } from "./routes/tokens";
import { usersRouter } from "./routes/users";

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

/** The authenticated REST API under /api (see openapi.ts for the list of endpoints). */
function apiRouter(rt: Runtime): express.Router {
  const api = express.Router();
  // Request validation shared by every route: JSON bodies only (415), no NUL anywhere (400).
  api.use(requireJsonBodies);
  api.use(express.json({ limit: "1mb" }));
  api.use(rejectNulCharacters);
  api.use((_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  api.use("/auth", authRouter(rt));
  api.use(authenticate(rt.db));
  const openApi = buildOpenApiDocument();
  api.get("/openapi.json", (_req, res) => void res.json(openApi));
  for (const router of [dagsRouter(rt), runsRouter(rt), taskInstancesRouter(rt), eventsRouter(rt), auditRouter(rt), usersRouter(rt), tokensRouter(rt), backfillsRouter(rt), deadLettersRouter(rt), runChecksRouter(rt), lineageRouter(rt), alertsRouter(rt)]) api.use(router);
  api.use((_req, res) => {
    res.status(404).json({ error: { code: "not_found", message: "no such endpoint" } });
  });
  return api;
}

/**
 * The HTTP app: /health and /metrics (no auth), the REST API under /api (auth, JSON errors),
 * and the built dashboard.
 */
export function createApp(rt: Runtime): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(securityHeaders);

  app.get("/health", async (_req, res) => {
    const report = await checkHealth(rt);
    res.status(report.status === "ok" ? 200 : 503).json(report);
  });

  app.get("/metrics", async (_req, res) => {
    try {
      const counts = await rt.dispatcher.queue.getJobCounts("waiting", "active", "delayed", "prioritized", "failed");
      for (const [state, n] of Object.entries(counts)) rt.metrics.queueDepth.set({ state }, n);
    } catch {
      // Redis down: serve the other metrics anyway.
    }
    try {
      const open = await countOpenByDag(rt.db);
      rt.metrics.openDeadLetters.reset();
      for (const [dagId, n] of open) rt.metrics.openDeadLetters.set({ dag_id: dagId }, n);
    } catch {
      // Postgres down: likewise.
    }
    res.setHeader("Content-Type", rt.metrics.registry.contentType);
    res.send(await rt.metrics.registry.metrics());
  });

  app.use("/api", apiRouter(rt));

  if (existsSync(WEB_DIST)) {
    app.use(express.static(WEB_DIST, { index: "index.html" }));
    app.get(/^\/(?!api\/).*/, (_req, res) => res.sendFile("index.html", { root: WEB_DIST }));
  } else {
    app.get("/", (_req, res) => {
      res.type("text/plain").send("Runnel is running. The dashboard is not built: run `pnpm --filter runnel-web build`.");
    });
  }

  app.use(errorHandler(rt.log));
  return app;
}
