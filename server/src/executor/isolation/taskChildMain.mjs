// Entry of an isolated task's child process (`isolation: "process"`): runs the one task the
// worker sends over IPC and exits. In the compiled server (server/dist) taskChild.js sits beside
// this file; from the source, tsx is registered first (DAG files get their own namespace either way).
import { existsSync } from "node:fs";

const compiled = new URL("./taskChild.js", import.meta.url);
let loaded;
if (existsSync(compiled)) loaded = await import(compiled.href);
else {
  (await import("tsx/esm/api")).register();
  loaded = await import("./taskChild.ts");
}
const { runChildTask } = loaded;
const send = (message) => new Promise((resolve, reject) => process.send(message, (err) => (err ? reject(err) : resolve())));
process.once("message", async (request) => {
  try {
    await runChildTask(request, send);
  } finally {
    process.disconnect();
  }
});
