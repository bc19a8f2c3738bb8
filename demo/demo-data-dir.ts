import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../shared/errors.ts';

/** The file that marks a data dir as the demo's own, so a later run may clear it. */
export const DEMO_MARKER = '.lk-demo-data';

/**
 * Empties the demo's data dir for a fresh run. Only a directory the demo made (it holds the marker)
 * is cleared; a new or empty one is marked; any other is refused, since LK_DATA_DIR may point at
 * a directory holding unrelated files.
 */
export async function prepareDemoDataDir(dir: string): Promise<void> {
  const entries: string[] = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
    throw new ConfigError(
      `the data dir ${dir} is not empty and was not made by the demo (no ${DEMO_MARKER} file), so the demo will not clear it; ` +
        'pass an empty or new directory (--data-dir or LK_DATA_DIR), or --keep-data to run on its data',
    );
  }
  for (const name of entries) await rm(join(dir, name), { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, DEMO_MARKER), 'made by lk demo: the next demo run clears this directory\n');
}
