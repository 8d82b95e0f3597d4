import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { describe, it } from 'node:test';

// The import direction of docs/architecture.md: each top-level folder and the folders it may
// import from. `types` may be imported with `import type` only (erased at build time, so they
// add no runtime dependency: workflows stay deterministic, a worker never loads a starter).
const LAYERS: Record<string, { values: string[]; types?: string[] }> = {
  common: { values: [], types: ['domain'] },
  infra: { values: ['common'] },
  store: { values: ['common', 'infra'] },
  domain: { values: ['common', 'infra', 'store'], types: ['workflows'] },
  workflows: { values: ['common'], types: ['activities', 'domain', 'infra', 'store'] },
  activities: { values: ['common', 'infra', 'store', 'domain'] },
  starters: { values: ['common', 'infra', 'store', 'domain'], types: ['activities', 'workflows'] },
  workers: { values: ['common', 'infra', 'store', 'domain', 'activities', 'workflows'] },
  processes: { values: ['common', 'infra', 'store', 'domain', 'starters', 'workers', 'workflows'], types: ['activities'] },
  stack: { values: ['common', 'infra', 'store'] },
  cli: { values: ['common', 'infra', 'store', 'domain', 'activities', 'starters', 'workers', 'workflows', 'processes', 'stack'] },
  support: { values: ['common', 'infra', 'store', 'domain', 'activities', 'starters', 'workers', 'workflows', 'processes', 'stack', 'cli'] },
  bench: { values: ['common', 'infra', 'store', 'domain', 'activities', 'starters', 'workers', 'workflows', 'processes', 'stack', 'cli', 'support'] },
  ops: { values: ['common', 'infra', 'store', 'domain', 'activities', 'starters', 'workers', 'workflows', 'processes', 'stack', 'cli', 'support'] },
  test: { values: ['common', 'infra', 'store', 'domain', 'activities', 'starters', 'workers', 'workflows', 'processes', 'stack', 'cli', 'support', 'bench', 'ops'] },
};

const ROOT = resolve(__dirname, '..');
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire(?:\.resolve)?\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;

interface ImportEdge {
  file: string;
  target: string;
  typeOnly: boolean;
}

function sourceFiles(): string[] {
  return execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file && !file.startsWith('test/fixtures/'));
}

/** Every relative import of a file, with whether the statement it is in is `import type` / `export type`. */
function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => {
    const statementStart = Math.max(text.lastIndexOf(';', match.index), text.lastIndexOf('\n}', match.index), -1) + 1;
    const statement = text.slice(statementStart, match.index).trimStart();
    return {
      file,
      target: normalize(join(dirname(file), match[2] ?? '')),
      typeOnly: /^(?:import|export)\s+type\b/.test(statement),
    };
  });
}

const topFolder = (path: string) => (path.includes('/') ? path.split('/')[0] ?? '' : '');

describe('architecture', () => {
  const files = sourceFiles();

  it('every TypeScript folder has a place in the import direction', () => {
    const folders = new Set(files.map(topFolder).filter(Boolean));
    const unplaced = [...folders].filter((folder) => !(folder in LAYERS));
    assert.deepEqual(unplaced, [], `add these folders to LAYERS here and to docs/architecture.md: ${unplaced.join(', ')}`);
  });

  it('imports only point the way docs/architecture.md says', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = topFolder(file);
      const layer = LAYERS[from];
      if (!layer) continue;
      for (const edge of importsOf(file)) {
        const to = topFolder(edge.target);
        if (!to || to === from || layer.values.includes(to)) continue;
        if (edge.typeOnly && layer.types?.includes(to)) continue;
        violations.push(`${file} imports ${edge.target}${edge.typeOnly ? ' (type)' : ''}: ${from}/ may not import ${to}/`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('sees through the import forms the tree uses (a check that cannot see cannot fail)', () => {
    const edges = importsOf('processes/bridge.ts');
    assert.ok(edges.some((edge) => edge.target.startsWith('starters/') && !edge.typeOnly), 'the bridge imports its starters by value');
    const workflowEdges = importsOf('workflows/pipeline-activities.ts');
    assert.ok(workflowEdges.some((edge) => edge.target.startsWith('activities/') && edge.typeOnly), 'the workflows import activity types');
    assert.ok(workflowEdges.every((edge) => !edge.target.startsWith('activities/') || edge.typeOnly));
  });
});
