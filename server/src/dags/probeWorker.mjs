// A worker thread that imports DAG files on request, so a file that never finishes loading (an
// endless loop at its top level) can be stopped: the main thread terminates this thread, which
// stops even synchronous JavaScript. It loads TypeScript through its own tsx registration.
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

const tsx = register({ namespace: "runnel-dag-probe" });
const { importDagModule } = await tsx.import("./importDagModule.ts", import.meta.url);

parentPort.on("message", async ({ id, path, root }) => {
  try {
    await importDagModule(path, root);
    parentPort.postMessage({ id, ok: true });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
parentPort.postMessage({ ready: true });
