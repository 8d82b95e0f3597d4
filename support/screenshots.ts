import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a test's screenshots go: docs/img when asked (`CRAWLFLOW_DOCS_IMG=docs/img npm test --
 * test/web/…`, to refresh the docs' pictures), else a fresh temp folder, so a test run never
 * rewrites tracked files.
 */
export function screenshotFolder(name: string): string {
  return process.env.CRAWLFLOW_DOCS_IMG ?? mkdtempSync(join(tmpdir(), `crawlflow-${name}-`));
}
