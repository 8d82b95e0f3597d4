// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflows run in Temporal's deterministic sandbox: no Node built-ins, no I/O, no clocks of their own.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];
const deterministicOnly = {
  'no-restricted-imports': [
    'error',
    {
      paths: nodeBuiltins.map((name) => ({
        name,
        message: 'Workflow code must be deterministic: Node built-ins are not allowed in workflows/ or common/. Do the work in an activity.',
      })),
      patterns: [
        {
          group: ['../activities/*', '../domain/**', '../infra/**', '../store/*', '../starters/*', '../workers/*', '../processes/**', '../cli/**'],
          allowTypeImports: true,
          message: 'Workflows import activity, domain, infra and store *types* only (import type …); docs/architecture.md.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'processes/web/public/**', 'eslint.config.mjs', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'common/**/*.ts'],
    rules: deterministicOnly,
  },
);
