import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Copies the working tree as a fresh clone of it would look once committed: tracked files and
 * untracked ones that .gitignore does not exclude (so node_modules/, dist/, data/ stay behind).
 * Returns the number of files copied.
 */
export function copyRepository(root: string, dest: string): number {
  const listing = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = listing
    .toString('utf8')
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(root, file)) && statSync(join(root, file)).isFile());
  for (const file of new Set(files)) {
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(join(root, file), join(dest, file));
  }
  return files.length;
}
