/**
 * Built-in sensors (`import { fileExists } from "runnel/sensors"`). The full set arrives with
 * the sensors issue; this module is the seam.
 */
import { access } from "node:fs/promises";

/** Pokes true once `path` exists. */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
