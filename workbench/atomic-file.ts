import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a temp file beside `path`, fsyncs it and renames it over `path`, so a crash or a concurrent
 * reader never sees a half-written file. Used for notebooks and for the share-link registry.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  // fsync the directory so the rename itself survives a crash (best effort: not every FS allows it).
  const dirHandle = await open(dirname(path), constants.O_RDONLY).catch(() => undefined);
  await dirHandle?.sync().catch(() => {});
  await dirHandle?.close();
}
