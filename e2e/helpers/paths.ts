import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository root (the folder with pnpm-workspace.yaml). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where tests leave screenshots for people to look at; ignored by git and eslint. */
export const ARTIFACTS_DIR = join(REPO_ROOT, "e2e", "artifacts");

/** `e2e/artifacts/<name>`, creating the folder. */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
