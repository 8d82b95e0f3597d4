import { message } from '../../../infra/i18n/i18n';
import { PassThrough, type Readable } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestProgress, IngestReceipt } from '../../../domain/ingest/receipt';
import type { IngestService } from '../../../domain/ingest/service';
import { spoolToTempFile } from '../../../domain/ingest/spool';
import type { Logger } from '../../../infra/logging/logger';
import { z } from 'zod';
import { MAX_GENERATOR_CODE_BYTES } from '../../../store/generators';
import { HttpProblem, toErrorReply } from '../errors';
import type { TemporalLinks } from '../links';
import { jobParams, keyed, type ZodTypeProvider } from '../schemas';
import { generatorView, receiptView } from '../views';

interface SubmitDeps {
  ingest: IngestService;
  logger: Logger;
  links: TemporalLinks;
  maxUploadBytes: number;
}

const urisBody = z
  .strictObject({ uris: z.array(z.string()).optional(), text: z.string().optional() })
  .refine((body) => (body.uris === undefined) !== (body.text === undefined), keyed('errors.request.uris_body'));
const configBody = z.strictObject({ config: z.string() });

/** The seed's inputs: typed URIs, the configuration string, a CSV/TXT file, a generator script. */
export function registerSubmitRoutes(app: FastifyInstance, { ingest, logger, links, maxUploadBytes }: SubmitDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post('/api/jobs/:job/uris', { schema: { params: jobParams, body: urisBody } }, async (request, reply) => {
    const { uris, text } = request.body;
    const lines = uris ?? (text ?? '').split(/\r\n|\n|\r/);
    return respondWithReceipt(request, reply, logger, (onProgress) => ingest.submitUris({ job: request.params.job, uris: lines, onProgress }));
  });

  api.post('/api/jobs/:job/config', { schema: { params: jobParams, body: configBody } }, async (request, reply) =>
    respondWithReceipt(request, reply, logger, (onProgress) => ingest.submitConfig({ job: request.params.job, config: request.body.config, onProgress })),
  );

  // Multipart: streamed, so its fields are read (and checked by the ingest service) as they arrive.
  api.post('/api/jobs/:job/files', { schema: { params: jobParams } }, async (request, reply) => {
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

  api.post('/api/jobs/:job/scripts', { schema: { params: jobParams } }, async (request, reply) => {
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
