#!/usr/bin/env node
// Registers tsx's loader in this process (no child process, so signals reach the CLI itself)
// and runs the TypeScript CLI; DAG files and the engine share that loader.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
