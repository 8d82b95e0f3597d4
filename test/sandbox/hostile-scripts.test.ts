import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createLogger } from '../../infra/logging/logger';
import { sandboxLimits, type SandboxLimits } from '../../infra/sandbox/limits';
import type { SplitLine } from '../../infra/text/lines';
import { runSandboxedScript, type SandboxMode, type ScriptResult } from '../../infra/sandbox/run-script';
import { ScriptLanguage } from '../../infra/sandbox/script-language';

// Real scripts in the real sandbox (bwrap, rlimits, an unprivileged user): these tests run as
// root on our machines and CI, as the worker does.
const USER = 'crawlflow-sandbox';
const REPO = resolve(__dirname, '../..');
const logger = createLogger({ level: 'silent', format: 'json' });
const run = promisify(execFile);
let tmpRoot: string;

interface Run extends ScriptResult {
  lines: SplitLine[];
  texts: string[];
}

async function runScript(
  code: string,
  options: { language?: ScriptLanguage; limits?: Partial<SandboxLimits>; mode?: SandboxMode; network?: boolean; signal?: AbortSignal; onLines?: (lines: SplitLine[]) => void } = {},
): Promise<Run> {
  const lines: SplitLine[] = [];
  const result = await runSandboxedScript({
    code,
    language: options.language ?? ScriptLanguage.Python,
    limits: sandboxLimits({ wallTimeSeconds: 20, ...options.limits }),
    mode: options.mode ?? 'bwrap',
    user: USER,
    network: options.network ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
    logger,
    tmpRoot,
    onLines: (batch) => {
      lines.push(...batch);
      options.onLines?.(batch);
    },
  });
  return { ...result, lines, texts: lines.flatMap((line) => (line.kind === 'line' ? [line.text] : [])) };
}

/**
 * Live processes of the sandbox user: a run must leave none behind. Zombies are left out: they
 * no longer run, and in limits mode (no pid namespace) the orphans a killed script leaves are
 * reaped by the host's init, which here does it lazily.
 */
async function sandboxProcesses(): Promise<string> {
  try {
    const { stdout } = await run('ps', ['-u', USER, '-o', 'stat=,pid=,args=']);
    return stdout
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trim().startsWith('Z'))
      .join('\n');
  } catch (error) {
    if ((error as { code?: unknown }).code === 1) return ''; // ps: no such processes
    throw error;
  }
}

async function assertCleanHost(): Promise<void> {
  assert.equal(await sandboxProcesses(), '', 'no process of the sandbox user survives the run');
  assert.deepEqual(await readdir(tmpRoot), [], 'the temp dir is removed');
}

describe('sandboxed generator scripts (hostile ones too)', () => {
  before(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), 'crawlflow-sandbox-test-'));
    // limits mode needs the sandbox user to reach its work dir inside.
    await chmod(tmpRoot, 0o755);
  });
  after(() => rm(tmpRoot, { recursive: true, force: true }));

  it('streams the URIs a well-behaved script prints, under bwrap as the sandbox user', async () => {
    const result = await runScript('import os\nfor i in range(3):\n    print(f"https://example.com/{i}")\nprint(os.getuid())\n');
    assert.equal(result.outcome, 'succeeded');
    assert.equal(result.sandbox, 'bwrap');
    assert.equal(result.reason, '');
    assert.deepEqual(result.texts.slice(0, 3), ['https://example.com/0', 'https://example.com/1', 'https://example.com/2']);
    const { stdout: uid } = await run('id', ['-u', USER]);
    assert.equal(result.texts[3], uid.trim());
    assert.equal(result.stdoutLines, 4);
    await assertCleanHost();
  });

  it('runs Shell scripts with bash', async () => {
    const result = await runScript('for i in 1 2; do echo "http://example.org/$i"; done\necho oops >&2\nexit 0', { language: ScriptLanguage.Shell });
    assert.equal(result.outcome, 'succeeded');
    assert.deepEqual(result.texts, ['http://example.org/1', 'http://example.org/2']);
    assert.equal(result.stderr, 'oops\n');
  });

  it('a script that exits 1 is a failed run with its stderr kept', async () => {
    const result = await runScript('print("https://example.com/a")\nraise SystemExit("bad input file")\n');
    assert.equal(result.outcome, 'failed');
    assert.equal(result.exitCode, 1);
    assert.equal(result.reason, 'exited with code 1');
    assert.match(result.stderr, /bad input file/);
    assert.deepEqual(result.texts, ['https://example.com/a']);
  });

  it('a script that sleeps past its wall time is killed with everything it started', async () => {
    const result = await runScript('sleep 600 &\nsleep 600\n', { language: ScriptLanguage.Shell, limits: { wallTimeSeconds: 1 } });
    assert.equal(result.outcome, 'timed_out');
    assert.equal(result.reason, 'timed out after 1 s of wall time');
    await assertCleanHost();
  });

  it('an infinite loop hits its CPU-time limit', async () => {
    const result = await runScript('while True:\n    pass\n', { limits: { wallTimeSeconds: 30, cpuSeconds: 1 } });
    assert.equal(result.outcome, 'failed');
    assert.match(result.reason, /SIGXCPU/);
    await assertCleanHost();
  });

  it('a fork bomb is held to the process limit and dies with the run', async () => {
    const bomb = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n';
    const result = await runScript(bomb, { limits: { wallTimeSeconds: 2, maxProcesses: 20 } });
    assert.equal(result.outcome, 'timed_out');
    await assertCleanHost();
    // The worker keeps serving: the next run works.
    assert.equal((await runScript('print("https://example.com/after-the-bomb")')).outcome, 'succeeded');
  });

  it('a memory hog gets MemoryError at its address-space limit', async () => {
    const result = await runScript('block = bytearray(2 * 1024 ** 3)\nprint("https://example.com/never")\n', { limits: { memoryBytes: 256 * 1024 * 1024 } });
    assert.equal(result.outcome, 'failed');
    assert.match(result.stderr, /MemoryError/);
    assert.deepEqual(result.texts, []);
  });

  it('a script printing 1 GB is stopped at its output limit, keeping the lines before it', async () => {
    const result = await runScript('yes https://example.com/again | head -c 1000000000', { language: ScriptLanguage.Shell, limits: { maxOutputBytes: 1024 * 1024 } });
    assert.equal(result.outcome, 'output_limit');
    assert.equal(result.stdoutBytes, 1024 * 1024);
    assert.equal(result.reason, 'printed more than 1048576 bytes (the output limit)');
    assert.ok(result.texts.length > 30_000 && result.texts.every((text) => text === 'https://example.com/again'));
    await assertCleanHost();
  });

  it('a very long line is reported by its length, not kept, and the next line still counts', async () => {
    const result = await runScript('print("h" * 1_000_000)\nprint("https://example.com/after")\n', { limits: { maxLineLength: 8000 } });
    assert.equal(result.outcome, 'succeeded');
    assert.equal(result.lines.length, 2);
    const [long] = result.lines;
    assert.equal(long?.kind, 'overlong');
    assert.equal(long?.kind === 'overlong' && long.length, 1_000_000);
    assert.equal(long?.kind === 'overlong' && long.head.length, 200);
    assert.deepEqual(result.texts, ['https://example.com/after']);
  });

  describe('network', () => {
    let server: Server;
    let port: number;
    let connections = 0;
    before(async () => {
      server = createServer((socket) => {
        connections += 1;
        socket.end('hello from the host\n');
      });
      await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
      port = (server.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolveClose) => server.close(() => resolveClose())));

    const connect = (host: string) =>
      `import socket\ntry:\n    s = socket.create_connection(("${host}", PORT), timeout=3)\n    print("connected", s.recv(100))\nexcept OSError as e:\n    print("refused", e)\n`;

    it('cannot reach the host or the internet without permission', async () => {
      const result = await runScript(connect('127.0.0.1').replace('PORT', String(port)) + connect('1.1.1.1').replace('PORT', '80'));
      assert.equal(result.outcome, 'succeeded');
      assert.equal(result.texts.length, 2);
      assert.ok(result.texts.every((text) => text.startsWith('refused')), result.texts.join('\n'));
      assert.equal(connections, 0);
    });

    it('reaches the network when the generator is allowed it', async () => {
      const result = await runScript(connect('127.0.0.1').replace('PORT', String(port)), { network: true });
      assert.deepEqual(result.texts, ["connected b'hello from the host\\n'"]);
      assert.equal(connections, 1);
    });
  });

  it('sees no secrets, no /root and no repository, and cannot write outside its own tmp', async () => {
    process.env.CRAWLFLOW_TEST_SECRET = 'hunter2-secret';
    try {
      const script = [
        'import os',
        'print("env", sorted(os.environ))',
        `for path in ["/root", "${REPO}/package.json", "/proc/1/environ", "/etc/shadow", "/etc/passwd"]:`,
        '    try:',
        '        print("read", path, len(open(path, "rb").read()) if os.path.isfile(path) else os.listdir(path))',
        '    except OSError as e:',
        '        print("denied", path, e.errno)',
        `for path in ["/usr/evil", "/etc/evil", "/evil", "${REPO}/evil", "/tmp/mine"]:`,
        '    try:',
        '        open(path, "w").write("x")',
        '        print("wrote", path)',
        '    except OSError as e:',
        '        print("denied", path, e.errno)',
      ].join('\n');
      const result = await runScript(script);
      assert.equal(result.outcome, 'succeeded');
      const output = result.texts.join('\n');
      assert.doesNotMatch(output, /hunter2/);
      assert.equal(result.texts[0], "env ['HOME', 'LANG', 'LC_ALL', 'PATH', 'PWD', 'TMPDIR']");
      for (const path of ['/root', `${REPO}/package.json`, '/etc/shadow', '/etc/passwd', '/usr/evil', '/etc/evil', '/evil', `${REPO}/evil`]) {
        assert.match(output, new RegExp(`^denied ${path} `, 'm'), `${path} must be out of reach:\n${output}`);
      }
      assert.match(output, /^wrote \/tmp\/mine$/m, 'its own tmp is writable');
      assert.equal(existsSync('/tmp/mine') || existsSync(`${REPO}/evil`) || existsSync('/usr/evil'), false);
    } finally {
      delete process.env.CRAWLFLOW_TEST_SECRET;
    }
  });

  it('abort kills the run at once', async () => {
    const controller = new AbortController();
    const result = await runScript('import time\nprint("https://example.com/first", flush=True)\ntime.sleep(600)\n', {
      signal: controller.signal,
      onLines: () => controller.abort(),
    });
    assert.equal(result.outcome, 'cancelled');
    assert.deepEqual(result.texts, ['https://example.com/first']);
    await assertCleanHost();
  });

  it('a consumer that fails stops the script and the error reaches the caller', async () => {
    await assert.rejects(
      runScript('import time\nwhile True:\n    print("https://example.com/x", flush=True)\n    time.sleep(0.01)\n', {
        onLines: () => {
          throw new Error('database is down');
        },
      }),
      /database is down/,
    );
    await assertCleanHost();
  });

  describe('limits only (where bwrap cannot run)', () => {
    it('still runs as the unprivileged user with a clean environment and every limit', async () => {
      process.env.CRAWLFLOW_TEST_SECRET = 'hunter2-secret';
      try {
        const result = await runScript('import os\nprint(os.getuid())\nprint(sorted(os.environ))\nos.listdir("/root")\n', { mode: 'limits' });
        assert.equal(result.sandbox, 'limits');
        assert.equal(result.sandboxNote, 'SANDBOX_MODE=limits: resource limits only, no bwrap');
        assert.equal(result.outcome, 'failed');
        assert.match(result.stderr, /PermissionError/);
        const { stdout: uid } = await run('id', ['-u', USER]);
        assert.deepEqual(result.texts, [uid.trim(), "['HOME', 'LANG', 'LC_ALL', 'PATH', 'TMPDIR']"]);
      } finally {
        delete process.env.CRAWLFLOW_TEST_SECRET;
      }
    });

    it('kills a fork bomb and its whole process group at the wall time', async () => {
      const bomb = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n';
      const result = await runScript(bomb, { mode: 'limits', limits: { wallTimeSeconds: 2, maxProcesses: 20 } });
      assert.equal(result.outcome, 'timed_out');
      await assertCleanHost();
    });

    it('kills what a shell fork bomb left running when the script itself exits', async () => {
      // The bomb's processes outlive the script's own shell: the run kills its process group.
      const result = await runScript(':(){ :|:& };:', { language: ScriptLanguage.Shell, mode: 'limits', limits: { wallTimeSeconds: 2, maxProcesses: 20 } });
      assert.equal(result.sandbox, 'limits');
      await assertCleanHost();
    });
  });
});
