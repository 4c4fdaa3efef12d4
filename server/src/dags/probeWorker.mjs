// A worker thread that imports DAG files on request, so a file that never finishes loading (an
// endless loop at its top level) can be stopped: the main thread terminates this thread, which
// stops even synchronous JavaScript. In the compiled server (server/dist) importDagModule.js sits
// beside this file; from the source it is loaded through a tsx registration of its own.
import { existsSync } from "node:fs";
import { parentPort } from "node:worker_threads";

const compiled = new URL("./importDagModule.js", import.meta.url);
const { importDagModule } = existsSync(compiled)
  ? await import(compiled.href)
  : await (await import("tsx/esm/api")).register({ namespace: "runnel-dag-probe" }).import("./importDagModule.ts", import.meta.url);

parentPort.on("message", async ({ id, path, root }) => {
  try {
    await importDagModule(path, root);
    parentPort.postMessage({ id, ok: true });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
parentPort.postMessage({ ready: true });
