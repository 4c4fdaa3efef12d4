// The worker thread of `dags list` (listDags.ts): loads the DAG folder once, each file without a
// probe thread of its own (this thread is the probe: the main thread terminates it when the pass
// does not end), and posts the listing. In the compiled server (server/dist) dagList.js sits
// beside this file; from the source it is loaded through a tsx registration of its own.
import { existsSync } from "node:fs";
import { parentPort } from "node:worker_threads";

const compiled = new URL("./dagList.js", import.meta.url);
const { collectDagList, UnprobedLoad } = existsSync(compiled)
  ? await import(compiled.href)
  : await (await import("tsx/esm/api")).register({ namespace: "runnel-dag-list" }).import("./dagList.ts", import.meta.url);

try {
  parentPort.postMessage({ ok: true, listing: await collectDagList(new UnprobedLoad()) });
} catch (err) {
  parentPort.postMessage({ ok: false, name: err instanceof Error ? err.name : "Error", message: err instanceof Error ? err.message : String(err) });
}
