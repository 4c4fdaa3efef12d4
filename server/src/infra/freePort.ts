import { createServer } from "node:net";

/** True when nothing is listening on `host:port` (we could bind it ourselves). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The first free port at or after `preferred`, trying `attempts` ports.
 * There is a short race between this check and the caller binding the port; callers that spawn a
 * server detect a lost race by the server failing to start.
 */
export async function findFreePort(preferred: number, host = "127.0.0.1", attempts = 100): Promise<number> {
  for (let port = preferred; port < preferred + attempts && port <= 65535; port++) {
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`No free TCP port on ${host} in ${preferred}..${preferred + attempts - 1}`);
}
