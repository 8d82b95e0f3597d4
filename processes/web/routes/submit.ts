import { message } from '../../../infra/i18n/i18n';
import { PassThrough, type Readable } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestProgress, IngestReceipt } from '../../../domain/ingest/receipt';
import type { IngestService } from '../../../domain/ingest/service';
import { spoolToTempFile } from '../../../domain/ingest/spool';
import type { Logger } from '../../../infra/logging/logger';
import { MAX_GENERATOR_CODE_BYTES } from '../../../store/generators';
import { HttpProblem, toErrorReply } from '../errors';
import type { TemporalLinks } from '../links';
import { generatorView, receiptView } from '../views';

interface SubmitDeps {
  ingest: IngestService;
  logger: Logger;
  links: TemporalLinks;
  maxUploadBytes: number;
}

/** The seed's inputs: typed URIs, the configuration string, a CSV/TXT file, a generator script. */
export function registerSubmitRoutes(app: FastifyInstance, { ingest, logger, links, maxUploadBytes }: SubmitDeps): void {
  app.post<{ Params: { job: string }; Body: { uris?: unknown; text?: unknown } }>('/api/jobs/:job/uris', async (request, reply) => {
    const body = request.body ?? {};
    let uris: string[];
    if (Array.isArray(body.uris) && body.uris.every((uri) => typeof uri === 'string')) uris = body.uris as string[];
    else if (typeof body.text === 'string') uris = body.text.split(/\r\n|\n|\r/);
    else throw new HttpProblem(400, 'bad_request', message('errors.uris_body'));
    return respondWithReceipt(request, reply, logger, (onProgress) => ingest.submitUris({ job: request.params.job, uris, onProgress }));
  });

  app.post<{ Params: { job: string }; Body: { config?: unknown } }>('/api/jobs/:job/config', async (request, reply) => {
    const config = request.body?.config;
    if (typeof config !== 'string') throw new HttpProblem(400, 'bad_request', message('errors.config_body'));
    return respondWithReceipt(request, reply, logger, (onProgress) => ingest.submitConfig({ job: request.params.job, config, onProgress }));
  });

  app.post<{ Params: { job: string } }>('/api/jobs/:job/files', async (request, reply) => {
    const part = await uploadedFile(request);
    const fields = fieldValues(part);
    const spooled = await spoolToTempFile(part.file, { maxBytes: maxUploadBytes });
    if (part.file.truncated) {
      await spooled.remove();
      throw new HttpProblem(413, 'too_large', message('errors.upload_too_large', { max: String(maxUploadBytes) }));
    }
    const header = fields.header === undefined || fields.header === '' || fields.header === 'auto' ? undefined : ['true', 'yes', '1', 'on'].includes(fields.header);
    const format = fields.format === 'csv' || fields.format === 'txt' ? fields.format : undefined;
    try {
      return await respondWithReceipt(request, reply, logger, (onProgress) =>
        ingest.submitFile({
          job: request.params.job,
          path: spooled.path,
          filename: part.filename,
          format,
          column: fields.column || undefined,
          header,
          delimiter: fields.delimiter || undefined,
          encoding: fields.encoding || undefined,
          onProgress,
        }),
      );
    } finally {
      await spooled.remove();
    }
  });

  app.post<{ Params: { job: string } }>('/api/jobs/:job/scripts', async (request, reply) => {
    const part = await uploadedFile(request);
    const fields = fieldValues(part);
    const bytes = await readLimited(part.file, Math.min(maxUploadBytes, MAX_GENERATOR_CODE_BYTES));
    const { generator, warning } = await ingest.submitScript({
      job: request.params.job,
      bytes,
      filename: part.filename,
      language: fields.language,
      cron: fields.cron,
      priority: fields.priority,
      status: fields.status,
      timeoutSeconds: fields.timeout,
      networkAllowed: fields.network,
      name: fields.name,
    });
    return reply.code(201).send({ generator: generatorView(generator, links), warning });
  });
}

async function uploadedFile(request: FastifyRequest): Promise<MultipartFile> {
  if (!request.isMultipart()) throw new HttpProblem(415, 'not_multipart', message('errors.not_multipart'));
  const part = await request.file();
  if (!part) throw new HttpProblem(400, 'no_file', message('errors.no_file'));
  return part;
}

/** The form fields sent before the file (multipart is streamed: later fields are not seen). */
function fieldValues(part: MultipartFile): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const [name, field] of Object.entries(part.fields)) {
    const single = Array.isArray(field) ? field[0] : field;
    if (single && single.type === 'field' && typeof single.value === 'string') values[name] = single.value;
  }
  return values;
}

async function readLimited(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      stream.resume();
      throw new HttpProblem(413, 'too_large', message('errors.script_upload_too_large', { max: String(maxBytes) }));
    }
    chunks.push(chunk);
  }
  if ((stream as Readable & { truncated?: boolean }).truncated) throw new HttpProblem(413, 'too_large', message('errors.script_upload_too_large', { max: String(maxBytes) }));
  return Buffer.concat(chunks);
}

/**
 * A receipt as JSON, or — when the client sends `Accept: application/x-ndjson` — a stream of
 * progress lines and then the receipt, so a big file shows how far it got. Input errors found
 * before anything is stored are still a plain 4xx.
 */
async function respondWithReceipt(
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
  run: (onProgress?: (progress: IngestProgress) => void) => Promise<IngestReceipt>,
): Promise<FastifyReply> {
  if (!(request.headers.accept ?? '').includes('application/x-ndjson')) return reply.send(receiptView(await run(), request.locale));
  const events = new PassThrough();
  let streaming = false;
  const line = (value: unknown) => `${JSON.stringify(value)}\n`;
  try {
    const stored = await run((progress) => {
      if (!streaming) {
        streaming = true;
        void reply.type('application/x-ndjson').send(events);
      }
      events.write(line({ type: 'progress', ...progress }));
    });
    const receipt = receiptView(stored, request.locale);
    if (!streaming) return reply.type('application/x-ndjson').send(line({ type: 'receipt', receipt }));
    events.end(line({ type: 'receipt', receipt }));
    return reply;
  } catch (error) {
    if (!streaming) throw error;
    events.end(line({ type: 'error', ...toErrorReply(error, logger, request.locale).body }));
    return reply;
  }
}
