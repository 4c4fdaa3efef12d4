import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/** What `overwriteFile` wrote. */
export interface FileWriteResult {
  /** Size of the file written, in bytes. */
  bytes: number;
  /** sha256 of the content, hex. */
  checksum: string;
}

/**
 * Replaces the file at `path` atomically: writes a temp file in the same folder (so the rename
 * stays on one file system), fsyncs it, renames it over the target, then fsyncs the folder so
 * the rename itself survives a crash. Readers see the old file or the new one, never a partial
 * one. Creates missing parent folders. On failure the temp file is removed and the target is
 * left as it was.
 */
export async function overwriteFile(path: string, data: string | Uint8Array): Promise<FileWriteResult> {
  const target = resolve(path);
  const folder = dirname(target);
  await mkdir(folder, { recursive: true });
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const temp = join(folder, `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncFolder(folder);
  return { bytes: bytes.byteLength, checksum: createHash("sha256").update(bytes).digest("hex") };
}

/** Best effort: some platforms (Windows) cannot open a folder for fsync, and the data is already renamed. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename happened; only its durability across a power loss is weaker here.
  }
}
