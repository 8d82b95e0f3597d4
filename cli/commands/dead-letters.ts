import type { Command } from 'commander';
import { ObjectId } from 'mongodb';
import { FailureStep } from '../../common/pipeline';
import { RejectReason } from '../../infra/kafka/record-check';
import { connectMongo } from '../../infra/mongo/client';
import { previewBytes, visibleText } from '../../domain/pipeline/byte-preview';
import { createFailedMessageRepository, type FailedMessageDocument, type FailedMessagePageQuery } from '../../store/failed-messages';
import { loadCliContext, UsageError } from '../context';
import { parseTime } from './time-option';

interface ListOptions {
  reason?: string;
  since?: string;
  until?: string;
  before?: string;
  limit: string;
}

/** Dead-lettered records (the page's dead-letters section): reason, detail, source position, a safe preview. */
export function registerDeadLettersCommand(program: Command): void {
  const deadLetters = program.command('dead-letters').description('records the bridge refused: why, where they were read, their bytes shown safely');

  deadLetters
    .command('list')
    .description('dead-lettered records, newest first')
    .option('--reason <reason>', `only this reason: ${Object.values(RejectReason).join(', ')}`)
    .option('--since <time>', 'only at or after this time (ISO 8601)')
    .option('--until <time>', 'only at or before this time')
    .option('--before <id>', 'the page after this id (the "next:" line of the previous page)')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (options: ListOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit must be a whole number from 1 to 10000, got ${options.limit}`);
      if (options.before !== undefined && !ObjectId.isValid(options.before)) throw new UsageError(`--before is not an id: ${options.before}`);
      const query: FailedMessagePageQuery = {
        steps: [FailureStep.Bridge],
        limit,
        ...(options.reason ? { errorType: options.reason } : {}),
        ...(options.since ? { since: parseTime(options.since, '--since') } : {}),
        ...(options.until ? { until: parseTime(options.until, '--until') } : {}),
        ...(options.before ? { before: new ObjectId(options.before) } : {}),
      };
      await withRepository(async (repository) => {
        const page = await repository.page(query);
        if (page.records.length === 0) process.stdout.write('no dead-lettered records match\n');
        for (const record of page.records) {
          const preview = previewBytes(rawBytes(record), { maxChars: 80, hexBytes: 0 });
          process.stdout.write(
            `${record._id.toHexString()}  ${record.failedAt.toISOString()}  ${position(record).padEnd(28)} ${visibleText(record.errorType, 40)}: ${visibleText(record.error, 100)}\n` +
              `    ${preview.text}${(record.raw?.bytes ?? 0) > preview.bytes || preview.text.length >= 80 ? ' …' : ''}\n`,
          );
        }
        if (page.next) process.stdout.write(`next: --before ${page.next}\n`);
      });
    });

  deadLetters
    .command('show <id>')
    .description('one dead-lettered record: reason, detail, source position, its bytes as escaped text and hex')
    .action(async (id: string) => {
      if (!ObjectId.isValid(id)) throw new UsageError(`not an id: ${id}`);
      await withRepository(async (repository) => {
        const record = await repository.findById(id);
        if (!record || record.step !== FailureStep.Bridge) throw new UsageError(`no dead-lettered record ${id}`);
        const preview = previewBytes(rawBytes(record));
        process.stdout.write(
          [
            `dead letter ${id}`,
            `  at        ${record.failedAt.toISOString()}`,
            `  reason    ${visibleText(record.errorType)}`,
            `  detail    ${visibleText(record.error)}`,
            `  source    ${position(record)}`,
            `  bytes     ${record.raw?.bytes ?? 0}${record.raw?.truncated ? ` (first ${preview.bytes} kept)` : ''}${preview.notUtf8 ? ', not valid UTF-8' : ''}${preview.escaped > 0 ? `, ${preview.escaped} invisible or control characters shown as ⟨U+…⟩` : ''}`,
            '  text',
            ...preview.text.split('\n').map((line) => `    ${line}`),
            '  hex',
            ...(preview.hex.match(/.{1,48}/g) ?? []).map((line) => `    ${line.trim()}`),
          ].join('\n') + '\n',
        );
      });
    });
}

function rawBytes(record: FailedMessageDocument): Buffer {
  return record.raw ? Buffer.from(record.raw.base64, 'base64') : Buffer.alloc(0);
}

function position(record: FailedMessageDocument): string {
  return record.raw ? `${record.raw.topic}/${record.raw.partition}@${record.raw.offset}` : '?';
}

async function withRepository(work: (repository: ReturnType<typeof createFailedMessageRepository>) => Promise<void>): Promise<void> {
  const { config } = loadCliContext('dead-letters');
  const mongo = await connectMongo(config.mongo, { appName: 'crawlflow-dead-letters' });
  try {
    await work(createFailedMessageRepository(mongo.db));
  } finally {
    await mongo.client.close();
  }
}
