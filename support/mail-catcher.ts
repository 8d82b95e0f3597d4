import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { eventually } from './eventually';

export interface CaughtMail {
  subject: string;
  text: string;
  to: Array<{ address: string }>;
}

/** A free loopback port: nothing listens there until a test starts something on it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/**
 * A MailDev of the test's own (the stack's shared one cannot be stopped mid-suite), on the
 * given SMTP port, so a test can have "SMTP down" and then "SMTP back".
 */
export async function startMailCatcher(smtpPort: number): Promise<{ mails(): Promise<CaughtMail[]>; stop(): Promise<void> }> {
  const webPort = await freePort();
  const binary = require.resolve('maildev/bin/maildev');
  const child: ChildProcess = spawn(
    process.execPath,
    [binary, '--smtp', String(smtpPort), '--web', String(webPort), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1'],
    { stdio: 'ignore' },
  );
  const api = `http://127.0.0.1:${webPort}`;
  await eventually('the test MailDev to answer', async () => (await fetch(`${api}/healthz`)).ok, { timeoutMs: 10_000 });
  return {
    mails: async () => (await (await fetch(`${api}/email`)).json()) as CaughtMail[],
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((done) => (child.exitCode !== null ? done(undefined) : child.once('exit', done)));
    },
  };
}
