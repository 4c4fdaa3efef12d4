// Entry of an isolated task's child process (`isolation: "process"`): registers tsx, then runs
// the one task the worker sends over IPC and exits.
import { register } from "tsx/esm/api";

register();
const { runChildTask } = await import("./taskChild.ts");
const send = (message) => new Promise((resolve, reject) => process.send(message, (err) => (err ? reject(err) : resolve())));
process.once("message", async (request) => {
  try {
    await runChildTask(request, send);
  } finally {
    process.disconnect();
  }
});
