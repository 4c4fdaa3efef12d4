import { createConnection, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A loopback TCP proxy in front of a real server. `blackhole()` makes it keep every connection open
 * and accept new ones but forward nothing, so the server looks like one that accepts connections
 * and never answers (a hung process, a network partition). Bytes dropped meanwhile are lost, so
 * `restore()` is only useful before anything was sent; `close()` cuts every connection.
 */
export interface BlackholeProxy {
  port: number;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startBlackholeProxy(target: { host: string; port: number }): Promise<BlackholeProxy> {
  let holding = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    const upstream = createConnection(target);
    sockets.add(upstream);
    const forward = (from: Socket, to: Socket): void => {
      from.on("data", (chunk) => {
        if (!holding) to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    blackhole: () => void (holding = true),
    restore: () => void (holding = false),
    async close() {
      if (!server.listening) return;
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
