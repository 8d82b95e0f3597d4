import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

// Lints source text as if it lived at a path in the repo, with the repo's own config.
async function lintAs(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: resolve(__dirname, '..'),
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false, project: null } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
    },
  });
  const [result] = await eslint.lintText(code, { filePath: resolve(__dirname, '..', path) });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('lint', () => {
  it('bans Node built-ins inside workflows/', async () => {
    const messages = await lintAs('workflows/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? '', /no-restricted-imports: .*Node built-ins are not allowed/);
    const bare = await lintAs('workflows/probe.ts', "import crypto from 'crypto';\nexport const y = crypto;\n");
    assert.match(bare[0] ?? '', /no-restricted-imports/);
  });

  it('lets workflows import activity types but not activity values', async () => {
    const typeOnly = await lintAs('workflows/probe.ts', "import type { SelfCheckActivities } from '../activities/self-check';\nexport type A = SelfCheckActivities;\n");
    assert.deepEqual(typeOnly, []);
    const value = await lintAs('workflows/probe.ts', "import { createSelfCheckActivities } from '../activities/self-check';\nexport const a = createSelfCheckActivities;\n");
    assert.match(value[0] ?? '', /no-restricted-imports: .*types\* only/);
  });

  it('allows Node built-ins outside workflows/', async () => {
    assert.deepEqual(await lintAs('activities/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"), []);
  });
});
