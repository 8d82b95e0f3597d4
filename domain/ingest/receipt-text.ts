import type { IngestReceipt, ReceiptLine } from './receipt';
import { summarize } from './receipt';

/** One receipt line as a person reads it (and, for a line of older URI rules, what changed). */
export function describeLine(line: ReceiptLine): string {
  const text = describeOutcome(line);
  return line.rulesChange ? `${text} [${line.rulesChange.note}]` : text;
}

function describeOutcome(line: ReceiptLine): string {
  const where = `line ${line.line}`.padEnd(11);
  switch (line.outcome) {
    case 'accepted':
      return `${where} accepted   ${line.uri} (task ${line.taskId})`;
    case 'duplicate':
      return `${where} duplicate  ${line.uri} — ${line.reason}`;
    default:
      return `${where} ${line.outcome.padEnd(10)} ${JSON.stringify(line.input)}: ${line.reason}`;
  }
}

/** The receipt's summary and its problem lines (at most `maxLines`), for a terminal. */
export function receiptText(receipt: IngestReceipt, maxLines = 20): string {
  const out = [`ingest ${receipt.ingestId} into job "${receipt.job.name}": ${summarize(receipt)}`];
  if (receipt.error) out.push(`stopped early: ${receipt.error}`);
  const problems = receipt.lines.filter((line) => line.outcome !== 'accepted');
  for (const line of problems.slice(0, maxLines)) out.push(`  ${describeLine(line)}`);
  const more = receipt.counts.duplicate + receipt.counts.invalid + receipt.counts.failed - Math.min(problems.length, maxLines);
  if (more > 0) out.push(`  … ${more} more in the error and failure logs (crawlflow web, or --receipt FILE for every line)`);
  if (receipt.logWriteFailures > 0) out.push(`warning: ${receipt.logWriteFailures} error/failure log entries could not be written`);
  return out.join('\n') + '\n';
}
