import type { FastifyInstance } from 'fastify';
import { ObjectId } from 'mongodb';
import { z } from 'zod';
import { FailureStep } from '../../../common/pipeline';
import type { FailedMessageDocument, FailedMessagePageQuery, FailedMessageRepository } from '../../../store/failed-messages';
import type { Store } from '../../../store/store';
import { retryTask, type ReplayItem } from '../../../starters/replay';
import { message } from '../../../infra/i18n/i18n';
import { HttpProblem } from '../errors';
import { deadLetterView, failureView } from '../failure-views';
import type { TemporalLinks } from '../links';
import { buildTaskStory } from '../task-story';
import { idParams, keyed, objectId, pageLimit, time, type ZodTypeProvider } from '../schemas';
import { findJob } from './lookups';

/** Most records one replay request starts (the page says so when more match). */
export const MAX_REPLAY_PER_REQUEST = 500;

export interface FailureRouteDeps {
  store: Store;
  links: TemporalLinks;
  failedMessages: FailedMessageRepository;
  /** Starts replays (the web process's Temporal client); without it replay answers 503. */
  replay?: (records: readonly FailedMessageDocument[]) => Promise<ReplayItem[]>;
}

const MESSAGE_STEPS = Object.values(FailureStep).filter((step) => step !== FailureStep.Bridge) as [FailureStep, ...FailureStep[]];

const filterFields = {
  step: z.enum(MESSAGE_STEPS).optional(),
  errorType: z.string().trim().min(1).max(200).optional(),
  job: z.string().trim().min(1).max(128).optional(),
  since: time.optional(),
  until: time.optional(),
};
const failureStatus = z.enum(['failed', 'replaying', 'replayed']).optional();
/** `until` no earlier than `since`, for every schema that takes both. */
const inOrder = (times: { since?: Date | undefined; until?: Date | undefined }) => !(times.since && times.until && times.since > times.until);
const orderRule = { ...keyed('errors.request.time_order'), path: ['until'] };

const filter = z.strictObject(filterFields).refine(inOrder, orderRule);
const failureListQuery = z
  .strictObject({ ...filterFields, status: failureStatus, before: objectId.optional(), limit: pageLimit(50, 500) })
  .refine(inOrder, orderRule);
const failureCountQuery = z.strictObject({ ...filterFields, status: failureStatus }).refine(inOrder, orderRule);
const replayBody = z
  .strictObject({
    ids: z.array(objectId).min(1).max(MAX_REPLAY_PER_REQUEST).optional(),
    filter: filter.optional(),
  })
  .refine((body) => (body.ids === undefined) !== (body.filter === undefined), keyed('errors.request.replay_target'));
const deadLetterQuery = z
  .strictObject({
    reason: z.string().trim().min(1).max(200).optional(),
    since: time.optional(),
    until: time.optional(),
    before: objectId.optional(),
    limit: pageLimit(50, 500),
  })
  .refine(inOrder, orderRule);

type FilterInput = z.infer<typeof filter>;

/**
 * Failed messages (filter, page, replay one / the selected / all matching, each replay's
 * outcome), dead-lettered records, and a crawler task's story with "retry".
 */
export function registerFailureRoutes(app: FastifyInstance, deps: FailureRouteDeps): void {
  const { store, links, failedMessages } = deps;
  const api = app.withTypeProvider<ZodTypeProvider>();

  async function toQuery(filter: FilterInput): Promise<FailedMessagePageQuery> {
    const job = filter.job ? (await findJob(store, filter.job)).id.toHexString() : undefined;
    return {
      steps: filter.step ? [filter.step] : MESSAGE_STEPS,
      ...(filter.errorType ? { errorType: filter.errorType } : {}),
      ...(job ? { job } : {}),
      ...(filter.since ? { since: filter.since } : {}),
      ...(filter.until ? { until: filter.until } : {}),
    };
  }

  async function jobNamesOf(records: readonly FailedMessageDocument[]): Promise<Map<string, string>> {
    const ids = [...new Set(records.map((record) => record.envelope?.summary.job).filter((id): id is string => id !== undefined && ObjectId.isValid(id)))];
    const jobs = await Promise.all(ids.map((id) => store.jobs.get(new ObjectId(id))));
    return new Map(jobs.filter((job) => job !== null).map((job) => [job.id.toHexString(), job.name]));
  }

  async function replay(records: readonly FailedMessageDocument[]): Promise<ReplayItem[]> {
    if (!deps.replay) throw new HttpProblem(503, 'replay_unavailable', message('failures.error.replay_unavailable'));
    return deps.replay(records);
  }

  api.get('/api/failures', { schema: { querystring: failureListQuery } }, async (request) => {
    const { query } = request;
    const page = await failedMessages.page({
      ...(await toQuery(query)),
      ...(query.status ? { status: query.status } : {}),
      ...(query.before ? { before: query.before } : {}),
      limit: query.limit,
    });
    const names = await jobNamesOf(page.records);
    return { failures: page.records.map((record) => failureView(record, links, names)), next: page.next };
  });

  /** How many match (counted up to the most one replay starts): what the page's confirmation names. */
  api.get('/api/failures/count', { schema: { querystring: failureCountQuery } }, async (request) => {
    const { query } = request;
    const counted = await failedMessages.countUpTo({ ...(await toQuery(query)), ...(query.status ? { status: query.status } : {}) }, MAX_REPLAY_PER_REQUEST);
    return { ...counted, cap: MAX_REPLAY_PER_REQUEST };
  });

  api.get('/api/failures/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params;
    const record = await failedMessages.findById(id.toHexString());
    if (!record) throw new HttpProblem(404, 'unknown_failure', message('failures.error.unknown_failure', { id: id.toHexString() }));
    return { failure: failureView(record, links, await jobNamesOf([record])) };
  });

  /**
   * Replays the selected failures (`ids`) or every failed one matching `filter`, newest first,
   * at most MAX_REPLAY_PER_REQUEST; `matched` says how many matched, `started` how many runs began.
   */
  api.post('/api/failures/replay', { schema: { body: replayBody } }, async (request) => {
    const { body } = request;
    let records: FailedMessageDocument[];
    let matched: { count: number; atLeast: boolean };
    if (body.ids) {
      const found = (await failedMessages.page({ ids: body.ids, limit: body.ids.length })).records;
      const missing = body.ids.filter((id) => !found.some((record) => record._id.equals(id)));
      if (missing.length > 0) throw new HttpProblem(404, 'unknown_failure', message('failures.error.unknown_failure', { id: missing.map((id) => id.toHexString()).join(', ') }));
      records = found;
      matched = { count: found.length, atLeast: false };
    } else {
      const query = { ...(await toQuery(body.filter ?? {})), status: 'failed' as const };
      const page = await failedMessages.page({ ...query, limit: MAX_REPLAY_PER_REQUEST });
      records = page.records;
      matched = { count: records.length, atLeast: page.next !== null };
    }
    const items = await replay(records);
    return {
      matched: matched.count,
      atLeast: matched.atLeast,
      started: items.filter((item) => item.result === 'started').length,
      items: items.map((item) => ({ ...item, links: { run: links.run(item.workflowId, item.runId) } })),
    };
  });

  api.get('/api/dead-letters', { schema: { querystring: deadLetterQuery } }, async (request) => {
    const { query } = request;
    const page = await failedMessages.page({
      steps: [FailureStep.Bridge],
      ...(query.reason ? { errorType: query.reason } : {}),
      ...(query.since ? { since: query.since } : {}),
      ...(query.until ? { until: query.until } : {}),
      ...(query.before ? { before: query.before } : {}),
      limit: query.limit,
    });
    return { deadLetters: page.records.map((record) => deadLetterView(record, links)), next: page.next };
  });

  api.get('/api/dead-letters/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params;
    const record = await failedMessages.findById(id.toHexString());
    if (!record || record.step !== FailureStep.Bridge) throw new HttpProblem(404, 'unknown_dead_letter', message('failures.error.unknown_dead_letter', { id: id.toHexString() }));
    return { deadLetter: deadLetterView(record, links) };
  });

  api.get('/api/tasks/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params;
    const story = await buildTaskStory({ store, failedMessages, links }, id);
    if (!story) throw new HttpProblem(404, 'unknown_task', message('failures.error.unknown_task', { id: id.toHexString() }));
    return story;
  });

  /** Feeds a task whose download failed to the pipeline again: its recorded failure is replayed. */
  api.post('/api/tasks/:id/retry', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params;
    const retry = await retryTask({ tasks: store.tasks, failedMessages, replay }, id);
    if (!retry.ok && retry.problem === 'unknown_task') throw new HttpProblem(404, 'unknown_task', message('failures.error.unknown_task', { id: id.toHexString() }));
    if (!retry.ok) throw new HttpProblem(409, 'not_retryable', message('failures.error.not_retryable', { id: id.toHexString(), reason: retry.reason }));
    return { item: { ...retry.item, links: { run: links.run(retry.item.workflowId, retry.item.runId) } }, story: await buildTaskStory({ store, failedMessages, links }, id) };
  });
}
