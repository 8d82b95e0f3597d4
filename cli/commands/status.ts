import type { Command } from 'commander';
import { gatherSystemStatus, type Section, type SystemStatus } from '../../domain/monitoring/system-status';
import { stack } from '../../stack/stack';
import { loadCliContext, UsageError } from '../context';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('one screen: services up, task queues and their backlog, bridge lag, schedules, recent failures (exit 1 when unhealthy)')
    .option('--json', 'print the status as JSON instead of a screen')
    .option('--recent <n>', 'how many recent failures to list', '5')
    .option('--timeout <seconds>', 'how long each service may take to answer', '3')
    .action(async (options: { json?: boolean; recent: string; timeout: string }) => {
      const recent = wholeNumber('--recent', options.recent);
      const timeoutSeconds = wholeNumber('--timeout', options.timeout);
      const { config } = loadCliContext('status');
      const status = withStackSupervision(await gatherSystemStatus(config, { recent, timeoutMs: Math.max(1, timeoutSeconds) * 1000 }));
      process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : renderStatus(status, { color: process.stdout.isTTY === true }));
      if (status.problems.length > 0) process.exitCode = 1;
    });
}

/** The local stack's services that `crawlflow up` stopped restarting (they kept dying) and that still do not run. */
export type StackSupervisionStatus = ReturnType<typeof stack.givenUp>;

/** Adds the stack services given up on, each as a problem naming its log and the command that restarts it. */
export function withStackSupervision(status: SystemStatus, givenUp: StackSupervisionStatus = stack.givenUp()): SystemStatus & { stackGivenUp: StackSupervisionStatus } {
  const problems = givenUp.map(
    (service) =>
      `stack service ${service.service} kept dying (${service.deaths.length} times, last ${service.deaths.at(-1) ?? '?'}); crawlflow up stopped restarting it — see ${service.logFile ?? 'npm run stack -- logs'}, then npm run stack -- up ${service.service}`,
  );
  return { ...status, problems: [...status.problems, ...problems], stackGivenUp: givenUp };
}

function wholeNumber(option: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${option} must be a whole number (got ${JSON.stringify(value)})`);
  return Number(value);
}

/** The status screen, plain text (ANSI colours only when asked). */
export function renderStatus(status: SystemStatus, options: { color?: boolean } = {}): string {
  const paint = (code: number) => (text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const red = paint(31);
  const green = paint(32);
  const yellow = paint(33);
  const bold = paint(1);
  const lines: string[] = [];
  const heading = (title: string) => lines.push('', bold(title));
  const unavailable = (section: Section<unknown>) => {
    if (!section.ok) lines.push(`  ${yellow('unavailable')}: ${section.error}`);
    return !section.ok;
  };

  lines.push(bold(`crawlflow status  ${status.at.toISOString()}`));

  heading('Services');
  const nameWidth = Math.max(...status.services.map((service) => service.name.length));
  for (const service of status.services) {
    const state = service.ok ? green('up  ') : red('DOWN');
    const detail = service.ok ? `${service.ms} ms${service.detail ? `  ${service.detail}` : ''}` : (service.error ?? '');
    lines.push(`  ${state}  ${service.name.padEnd(nameWidth)}  ${service.target}  ${detail}`);
  }

  heading('Task queues (as Temporal sees them)');
  if (!unavailable(status.taskQueues) && status.taskQueues.ok) {
    const rows = status.taskQueues.value.map((queue) => [
      queue.name,
      queue.type,
      queue.pollers.length === 0 ? red('0') : String(queue.pollers.length),
      String(queue.backlog),
      queue.backlog > 0 ? formatSeconds(queue.backlogAgeSeconds) : '-',
      queue.addRate.toFixed(1),
      queue.dispatchRate.toFixed(1),
    ]);
    lines.push(...table(['queue', 'tasks', 'workers', 'backlog', 'oldest', 'added/s', 'dispatched/s'], rows));
  }

  heading('Bridge consumer lag');
  if (!unavailable(status.bridgeLag) && status.bridgeLag.ok) {
    const lag = status.bridgeLag.value;
    const perPartition = lag.partitions.map((partition) => `p${partition.partition} ${partition.lag}`).join(', ');
    const never = lag.partitions.every((partition) => partition.committed === null) ? ' (the group has not committed yet)' : '';
    lines.push(`  group ${lag.group} on ${lag.topic}: ${lag.total} records behind${perPartition ? ` (${perPartition})` : ''}${never}`);
  }

  heading('Schedules');
  if (!unavailable(status.schedules) && status.schedules.ok) {
    const { shown, total } = status.schedules.value;
    if (shown.length === 0) lines.push('  none');
    const rows = shown.map((schedule) => [
      schedule.id,
      schedule.workflowType ?? '',
      schedule.paused ? yellow('paused') : 'active',
      schedule.nextRun && !schedule.paused ? `${schedule.nextRun.toISOString()} (${relative(schedule.nextRun, status.at)})` : '-',
      schedule.lastRun ? relative(schedule.lastRun, status.at) : 'never',
    ]);
    if (rows.length > 0) lines.push(...table(['schedule', 'workflow', 'state', 'next run', 'last run'], rows));
    if (total > shown.length) lines.push(`  … and ${total - shown.length} more (temporal schedule list)`);
  }

  heading('Recent failures');
  if (!unavailable(status.failures) && status.failures.ok) {
    const failures = status.failures.value;
    lines.push(`  ${failures.failedMessagesLastDay} failed messages in the last 24 h; ${failures.alertsWaiting} alerts waiting to be mailed`);
    for (const failure of failures.recentFailedMessages) {
      lines.push(`  ${failure.failedAt.toISOString()}  ${failure.step}/${failure.errorType}  ${failure.workflowId}  ${clip(failure.error, 80)}`);
    }
    if (failures.recentAlerts.length > 0) lines.push('  latest alerts:');
    for (const alert of failures.recentAlerts) {
      lines.push(`  ${alert.createdAt.toISOString()}  ${alert.kind}  ${alert.status}  ${clip(alert.summary, 90)}`);
    }
  }

  lines.push('');
  if (status.problems.length === 0) lines.push(green('healthy'));
  else {
    lines.push(red(`UNHEALTHY: ${status.problems.length} problem${status.problems.length === 1 ? '' : 's'}`));
    for (const problem of status.problems) lines.push(`  - ${problem}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Left-aligned columns; widths ignore ANSI colour codes. */
function table(header: string[], rows: string[][]): string[] {
  // eslint-disable-next-line no-control-regex -- stripping the colour codes this file adds
  const visible = (text: string) => text.replace(/\u001b\[\d+m/g, '').length;
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => visible(row[column] ?? ''))));
  const line = (cells: string[]) =>
    `  ${cells.map((cell, column) => cell + ' '.repeat(Math.max(0, (widths[column] ?? 0) - visible(cell)))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

function relative(when: Date, now: Date): string {
  const seconds = (when.getTime() - now.getTime()) / 1000;
  return seconds >= 0 ? `in ${formatSeconds(seconds)}` : `${formatSeconds(-seconds)} ago`;
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
