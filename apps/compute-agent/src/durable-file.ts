import { open, rename, rm } from "node:fs/promises";
import path from "node:path";

/**
 * Writes `contents` to `file` so that no reader ever sees a partial file, and a crash leaves
 * the old one or the new one: a temporary file with `mode` in the same directory, synced, then
 * renamed over `file`. A failure removes the temporary file.
 */
export async function writeFileDurably(file: string, contents: string, mode = 0o644): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await open(temp, "w", mode);
  try {
    // A temporary file left by a crash keeps the mode it was created with.
    await handle.chmod(mode);
    await handle.writeFile(contents);
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}
