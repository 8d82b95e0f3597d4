import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(__dirname, '..', '..');

/**
 * The activities a workflow file proxies: the names in `const { a, b } = proxyActivities<…>(`,
 * remote or local (`… ? proxyLocalActivities<…>(…) : proxyActivities<…>(…)`).
 */
function proxiedActivities(workflowFile: string): string[] {
  const source = readFileSync(resolve(root, workflowFile), 'utf8');
  return [...source.matchAll(/const \{([^}]+)\} =[^;{]*?proxy(?:Local)?Activities</g)].flatMap((match) => (match[1] ?? '').split(',').map((name) => name.trim()).filter(Boolean));
}

/** The activity names in the first column of the table under `| activity | queue |` in a doc. */
function documentedActivities(docFile: string): string[] {
  const lines = readFileSync(resolve(root, docFile), 'utf8').split('\n');
  const header = lines.findIndex((line) => line.startsWith('| activity | queue |'));
  assert.ok(header >= 0, `${docFile} has an activity table`);
  const names: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const firstCell = line.split('|')[1] ?? '';
    names.push(...[...firstCell.matchAll(/`(\w+)`/g)].map((match) => match[1] as string));
  }
  return names;
}

describe('docs/pipeline.md', () => {
  it('lists exactly the activities the message and batch workflows call (proxied in one place)', () => {
    assert.deepEqual(documentedActivities('docs/pipeline.md').sort(), proxiedActivities('workflows/pipeline-activities.ts').sort());
    for (const workflow of ['workflows/message.ts', 'workflows/batch.ts']) assert.deepEqual(proxiedActivities(workflow), [], `${workflow} proxies no activities of its own`);
  });
});
