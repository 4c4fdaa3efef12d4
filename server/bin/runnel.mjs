#!/usr/bin/env node
// Runs the CLI in this process (no child process, so signals reach the CLI itself).
// The compiled server (server/dist, built by `pnpm build`, `pnpm install`, `pnpm start` and
// `pnpm test`) starts fast; it is used only when it matches server/src (distState.mjs), so an edit
// to the source is never run stale: until the next build this falls back to the TypeScript source
// through tsx. Either way DAG files (and pending migrations) load through tsx, registered on demand.
import { distIsCurrent } from "./distState.mjs";

if (distIsCurrent()) {
  await import("../dist/cli/main.js");
} else {
  if (process.stderr.isTTY) {
    console.error("runnel: server/dist is missing or older than server/src; running the TypeScript source (slower start). `pnpm build` refreshes it.");
  }
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
