import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CappedOutput } from '../../infra/sandbox/capped-output';
import { sandboxLimits } from '../../infra/sandbox/limits';
import { chooseSandbox } from '../../infra/sandbox/run-script';
import { detectScriptLanguage, UnsupportedScriptError } from '../../infra/sandbox/script-language';

describe('capped stderr', () => {
  it('keeps the beginning and the end and says how much was left out', () => {
    const output = new CappedOutput(20);
    output.push(Buffer.from('BEGIN-'));
    for (let i = 0; i < 100; i += 1) output.push(Buffer.from('middle'));
    output.push(Buffer.from('-THE-END'));
    const text = output.text();
    assert.equal(text, 'BEGIN-midd\n… 594 bytes omitted …\nle-THE-END');
    assert.equal(output.total, 6 + 600 + 8);
  });

  it('keeps short output whole', () => {
    const output = new CappedOutput(100);
    output.push(Buffer.from('Traceback\n'));
    output.push(Buffer.from('ValueError\n'));
    assert.equal(output.text(), 'Traceback\nValueError\n');
  });
});

describe('script language', () => {
  it('follows the shebang first, then the declared language, then defaults to Python', () => {
    assert.equal(detectScriptLanguage('#!/usr/bin/env python3\nprint(1)', 'shell'), 'python');
    assert.equal(detectScriptLanguage('#!/bin/sh -e\necho 1'), 'shell');
    assert.equal(detectScriptLanguage('#!/usr/bin/env -S bash -x\necho 1'), 'shell');
    assert.equal(detectScriptLanguage('echo 1', 'SH'), 'shell');
    assert.equal(detectScriptLanguage('echo 1', '.bash'), 'shell');
    assert.equal(detectScriptLanguage('print(1)'), 'python');
  });

  it('refuses empty, binary and other-language scripts, saying why', () => {
    assert.throws(() => detectScriptLanguage('  \n'), /empty/);
    assert.throws(() => detectScriptLanguage('\u0000ELF'), /binary/);
    assert.throws(() => detectScriptLanguage('#!/usr/bin/perl\nprint 1'), (error: Error) => {
      assert.ok(error instanceof UnsupportedScriptError);
      assert.match(error.message, /neither Python nor Shell.*perl/);
      return true;
    });
    assert.throws(() => detectScriptLanguage('console.log(1)', 'javascript'), /unknown script language "javascript"/);
  });
});

describe('sandbox limits and mode', () => {
  it('lets the CPU limit follow the wall time and rejects nonsense', () => {
    const limits = sandboxLimits({ wallTimeSeconds: 30 });
    assert.equal(limits.cpuSeconds, 30);
    assert.equal(sandboxLimits({ wallTimeSeconds: 30, cpuSeconds: 5 }).cpuSeconds, 5);
    assert.throws(() => sandboxLimits({ memoryBytes: 0 }), /memoryBytes must be a positive whole number/);
    assert.throws(() => sandboxLimits({ wallTimeSeconds: 1.5 }), /wallTimeSeconds/);
  });

  // bwrap cannot be uninstalled for a test: its availability is passed in.
  it('auto falls back to limits only with the reason; bwrap mode refuses instead', async () => {
    const broken = async () => ({ ok: false as const, reason: 'bwrap cannot run here: no namespaces' });
    assert.deepEqual(await chooseSandbox('auto', broken), { kind: 'limits', note: 'bwrap cannot run here: no namespaces; resource limits only' });
    assert.deepEqual(await chooseSandbox('bwrap', broken), { error: 'SANDBOX_MODE=bwrap but bwrap cannot run here: no namespaces' });
    assert.deepEqual(await chooseSandbox('auto', async () => ({ ok: true })), { kind: 'bwrap' });
    assert.deepEqual(await chooseSandbox('limits', async () => ({ ok: true })), {
      kind: 'limits',
      note: 'SANDBOX_MODE=limits: resource limits only, no bwrap',
    });
  });
});
