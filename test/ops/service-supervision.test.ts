import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { AlertKind, createAlertRepository } from '../../store/alert-repository';
import { createAlerting } from '../../domain/alerts/alerting';
import { createLogger } from '../../infra/logging/logger';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { stackPaths, type StackPaths } from '../../stack/paths';
import { isAlive, runningPid, startDetached } from '../../stack/processes';
import { createSupervisionState } from '../../stack/supervision-state';
import { giveUpAlert, superviseServices, type ServiceSupervisor, type SupervisedService } from '../../stack/supervision';
import { eventually } from '../../support/eventually';
import { requireStack, testConfig, testEnv } from '../../support/stack';

const run = promisify(execFile);

/** A throw-away "service" under a stack home of its own: the shared stack is never touched. */
function throwAwayService(paths: StackPaths, name: string, script: () => string) {
  let restarts = 0;
  let checks = 0;
  const start = () => startDetached(paths, name, { command: process.execPath, args: ['-e', script()] });
  const service: SupervisedService = {
    name,
    isRunning: () => {
      checks++;
      return runningPid(paths, name) !== undefined;
    },
    restart: async () => {
      restarts++;
      start();
    },
  };
  return { service, start, restarts: () => restarts, checks: () => checks };
}

const LIVES = 'setInterval(() => {}, 1000)';
const DIES = 'process.exit(3)';

function capturedLogger() {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', format: 'json' }, {}, sink), lines };
}

describe('the stack service supervisor (against throw-away processes)', () => {
  let home: string;
  let paths: StackPaths;
  let mongo: MongoHandle;
  const supervisors: ServiceSupervisor[] = [];
  const config = testConfig();

  before(async () => {
    await requireStack();
    home = mkdtempSync(join(tmpdir(), 'crawlflow-supervision-'));
    paths = stackPaths(home);
    mongo = await connectMongo(config.mongo);
  });

  after(async () => {
    await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
    for (const name of ['steady', 'flaky', 'wedged']) {
      const pid = runningPid(paths, name);
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    }
    await mongo.db.dropDatabase();
    await mongo.client.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('notices a service killed with -9 within seconds, logs it and starts it again', async () => {
    const { logger, lines } = capturedLogger();
    const steady = throwAwayService(paths, 'steady', () => LIVES);
    const first = steady.start();
    supervisors.push(superviseServices({ services: [steady.service], logger, state: createSupervisionState(paths), checkIntervalMs: 100, initialBackoffMs: 100 }));
    process.kill(first, 'SIGKILL');
    const second = await eventually('a new process runs', () => {
      const pid = runningPid(paths, 'steady');
      return pid !== undefined && pid !== first ? pid : undefined;
    });
    assert.ok(isAlive(second));
    assert.equal(steady.restarts(), 1);
    assert.ok(lines.some((line) => line.service === 'steady' && line.level === 50 && /steady died; restarting it/.test(line.msg)));
    await eventually('the restart is logged', () => lines.some((line) => line.service === 'steady' && line.msg === 'steady restarted'));
    assert.equal(createSupervisionState(paths).read().steady?.state, 'running');
  });

  it('gives up on a service that keeps dying — no tight loop — alerts once, and supervises it again when it runs', async () => {
    const { logger, lines } = capturedLogger();
    let script = DIES;
    const flaky = throwAwayService(paths, 'flaky', () => script);
    const alerting = createAlerting({ alerts: createAlertRepository(mongo.db), triggerDigest: async () => undefined, windowMs: 60_000, logger });
    const state = createSupervisionState(paths);
    const raised: string[] = [];
    supervisors.push(
      superviseServices({
        services: [flaky.service],
        logger,
        state,
        checkIntervalMs: 50,
        initialBackoffMs: 50,
        maxDeaths: 3,
        windowMs: 60_000,
        onGiveUp: async (report) => void raised.push(await alerting.raise(giveUpAlert(report))),
      }),
    );
    flaky.start();
    await eventually('the supervisor gives up', () => state.read().flaky?.state === 'given-up', { timeoutMs: 20_000 });
    assert.equal(flaky.restarts(), 2, 'restarted after the first two deaths, not after the third');
    const checksAtGiveUp = flaky.checks();
    await eventually('the supervisor keeps checking', () => flaky.checks() >= checksAtGiveUp + 5);
    assert.equal(flaky.restarts(), 2, 'and restarts nothing while given up');
    assert.equal(state.read().flaky?.deaths.length, 3);
    assert.ok(lines.some((line) => line.service === 'flaky' && line.level === 50 && /flaky keeps dying \(3 times/.test(line.msg)));

    await eventually('the alert is recorded', () => raised.length === 1);
    const alert = await mongo.db.collection('alert').findOne({ kind: AlertKind.ServiceDown });
    assert.ok(alert, 'a service_down alert waits to be mailed');
    assert.match(String(alert.summary), /stack service flaky kept dying \(3 times in 1 min\)/);
    assert.equal((alert.detail as { restart: string }).restart, 'npm run stack -- up flaky');

    // `crawlflow status` (another process) reports it, with its log and the command that restarts it.
    const status = await run(process.execPath, [resolve(__dirname, '..', '..', 'bin', 'crawlflow.js'), 'status', '--json', '--timeout', '2'], {
      env: { ...process.env, ...testEnv(), CRAWLFLOW_HOME: home },
    }).catch((error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }));
    const report = JSON.parse(status.stdout) as { problems: string[] };
    assert.ok(
      report.problems.some((problem) => /^stack service flaky kept dying \(3 times.*npm run stack -- up flaky$/.test(problem)),
      report.problems.join('\n'),
    );

    // An operator starts it by hand: it is supervised again, and status no longer reports it.
    script = LIVES;
    flaky.start();
    await eventually('the supervisor takes it back', () => state.read().flaky === undefined);
    assert.ok(lines.some((line) => line.service === 'flaky' && line.msg === 'flaky runs again; supervising it again'));
  });

  it('replaces a service that runs but stopped answering its probe (SIGSTOP), and leaves a slow one that recovers', async () => {
    const { logger, lines } = capturedLogger();
    const wedged = throwAwayService(paths, 'wedged', () => LIVES);
    const first = wedged.start();
    // The probe asks the process itself: a stopped process cannot answer, like a server whose
    // database connection stays interrupted while its pid lives on.
    let answers = true;
    const service: SupervisedService = {
      ...wedged.service,
      isResponsive: async () => {
        const pid = runningPid(paths, 'wedged');
        return answers && pid !== undefined && processState(pid) !== 'T';
      },
      kill: () => {
        const pid = runningPid(paths, 'wedged');
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      },
    };
    const state = createSupervisionState(paths);
    supervisors.push(superviseServices({ services: [service], logger, state, checkIntervalMs: 100, initialBackoffMs: 100, probeIntervalMs: 100, unresponsiveAfterMs: 1_000 }));

    // A probe that fails for less than the limit is waited out, not punished.
    answers = false;
    await eventually('the first failed probe is logged', () => lines.some((line) => line.service === 'wedged' && line.level === 40 && /does not answer its probe/.test(line.msg)));
    answers = true;
    await eventually('it answers again', () => lines.some((line) => line.service === 'wedged' && line.msg === 'wedged answers again'));
    assert.equal(wedged.restarts(), 0);
    assert.equal(runningPid(paths, 'wedged'), first);

    process.kill(first, 'SIGSTOP');
    const second = await eventually('a new process replaces the stopped one', () => {
      const pid = runningPid(paths, 'wedged');
      return pid !== undefined && pid !== first ? pid : undefined;
    });
    assert.ok(!isAlive(first), 'the wedged process was killed, not left beside the new one');
    assert.equal(wedged.restarts(), 1);
    const killed = lines.find((line) => line.service === 'wedged' && line.level === 50 && /wedged did not answer its probe for \d+ s; killed it; restarting it/.test(line.msg));
    assert.ok(killed, lines.map((line) => line.msg).join('\n'));
    assert.ok(Number(killed.unresponsiveForSeconds) >= 1);
    assert.equal(state.read().wedged?.deaths.length, 1, 'it counts as a death, so one that keeps wedging is given up on');
    await eventually('the restart is logged', () => lines.some((line) => line.service === 'wedged' && line.msg === 'wedged restarted'));
    assert.ok(isAlive(second));
  });
});

/** The state letter of a process (`T` when stopped), from /proc. */
function processState(pid: number): string | undefined {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
