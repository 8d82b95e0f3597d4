import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../../infra/logging/logger';

/**
 * Calls `onChange` when any of `files` is written, replaced, created or removed. Watches the
 * files' directories rather than the files: editors and deploy tools replace a file by
 * renaming a new one over it, which ends a watch on the old file. Returns the function that
 * stops watching. A directory that cannot be watched is logged and skipped.
 */
export function watchFiles(files: readonly string[], onChange: () => void, logger: Logger): () => void {
  const namesByDirectory = new Map<string, Set<string>>();
  for (const file of files) {
    const names = namesByDirectory.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    namesByDirectory.set(dirname(file), names);
  }
  const watchers: FSWatcher[] = [];
  for (const [directory, names] of namesByDirectory) {
    try {
      const watcher = watch(directory, { persistent: false }, (_event, name) => {
        if (name === null || names.has(name.toString())) onChange();
      });
      watcher.on('error', (error) => logger.warn({ err: error, directory }, 'file watch failed; reload with the signal'));
      watchers.push(watcher);
    } catch (error) {
      logger.warn({ err: error, directory }, 'cannot watch for file changes; reload with the signal');
    }
  }
  return () => {
    for (const watcher of watchers.splice(0)) watcher.close();
  };
}
