import { WorkflowFailedError } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { MessageEnvelope } from '../../common/messages';
import type {
  FailureRecord,
  FetchRequest,
  FetchResult,
  MessageWorkflowInput,
  MessageWorkflowResult,
  PublishRequest,
  PublishResult,
  TagRequest,
  TagResult,
} from '../../common/pipeline';
import { uniqueName } from '../../support/isolated-env';
import type { WorkflowHarness } from './harness';

/**
 * `messageWorkflow` driven by scripted activities: each step returns what the script says or
 * throws, and every call is kept for the test to check. Used by the branch tests and by the
 * recorder of the replay fixtures.
 */

/** What a scripted activity does: return a value, or throw. */
type Step<Args extends unknown[], Result> = (...args: Args) => Result | Promise<Result>;

export interface MessageScript {
  fetchPages?: Step<[FetchRequest[]], FetchResult[]>;
  tagMessages?: Step<[TagRequest[]], TagResult[]>;
  publishTagged?: Step<[PublishRequest[]], PublishResult[]>;
}

/** What the scripted activities were called with, in order. */
export interface MessageCalls {
  fetchPages: FetchRequest[][];
  tagMessages: TagRequest[][];
  publishTagged: PublishRequest[][];
  recordFailure: FailureRecord[];
  finishReplay: Array<{ replayOf: string; workflowId: string; outcome: string; error?: string }>;
}

export const TAGGING = { tags: [{ name: 'news', score: 0.9 }], taggerVersion: 'test/1' } as unknown as TagResult;
export const PUBLISHED: PublishResult = { topic: 'out', partition: 0, offset: '7', bytes: 120, truncated: false };

export function fetchedPage(url: string): FetchResult {
  return {
    ok: true,
    url,
    finalUrl: url,
    status: 200,
    via: 'direct',
    html: { inline: '<p>hello</p>' },
    text: { inline: 'hello' },
    htmlBytes: 12,
    textChars: 5,
    truncated: false,
    elapsedMs: 3,
  };
}

export function envelope(summary: Partial<MessageEnvelope['summary']>): MessageEnvelope {
  return {
    summary: { source: 'test', ...summary },
    body: { inline: JSON.stringify(summary) },
    origin: { kind: 'kafka', topic: 'in', partition: 0, offset: '1' },
  };
}

const HAPPY_PATH: Required<MessageScript> = {
  fetchPages: (requests) => requests.map((request) => fetchedPage(request.url)),
  tagMessages: (requests) => requests.map(() => TAGGING),
  publishTagged: (requests) => requests.map(() => PUBLISHED),
};

export interface MessageRun {
  result?: MessageWorkflowResult;
  failure?: WorkflowFailedError;
  calls: MessageCalls;
  outcomeAttribute?: unknown;
  workflowId: string;
  history: History;
}

/** A scripted run's message, and where its fetch and publish run (unset: the workflow's default). */
export interface ScriptedMessageInput {
  envelope: MessageEnvelope;
  replayOf?: string;
  publishLocally?: boolean;
  fetchLocally?: boolean;
}

/** Runs one message workflow to its end with the scripted steps (the happy path where unscripted). */
export async function runScriptedMessage(
  harness: WorkflowHarness,
  input: ScriptedMessageInput,
  script: MessageScript = {},
): Promise<MessageRun> {
  const steps = { ...HAPPY_PATH, ...script };
  const calls: MessageCalls = { fetchPages: [], tagMessages: [], publishTagged: [], recordFailure: [], finishReplay: [] };
  const activities = {
    fetchPages: async (requests: FetchRequest[]) => {
      calls.fetchPages.push(requests);
      return steps.fetchPages(requests);
    },
    tagMessages: async (requests: TagRequest[]) => {
      calls.tagMessages.push(requests);
      return steps.tagMessages(requests);
    },
    publishTagged: async (requests: PublishRequest[]) => {
      calls.publishTagged.push(requests);
      return steps.publishTagged(requests);
    },
    recordFailure: async (failure: FailureRecord) => {
      calls.recordFailure.push(failure);
      return 'f1';
    },
    finishReplay: async (finish: MessageCalls['finishReplay'][number]) => {
      calls.finishReplay.push(finish);
    },
  };
  return harness.withWorker(activities, async (taskQueue) => {
    const workflowInput: MessageWorkflowInput = {
      envelope: input.envelope,
      settings: {
        taskQueues: { workflows: taskQueue, io: taskQueue, cpu: taskQueue, sandbox: taskQueue },
        fetchTimeoutSeconds: 5,
        fetchMaxAttempts: 2,
        ...(input.publishLocally !== undefined ? { publishLocally: input.publishLocally } : {}),
        ...(input.fetchLocally !== undefined ? { fetchLocally: input.fetchLocally } : {}),
      },
      ...(input.replayOf ? { replayOf: input.replayOf } : {}),
    };
    const workflowId = uniqueName('message');
    const handle = await harness.env.client.workflow.start('messageWorkflow', { taskQueue, workflowId, args: [workflowInput] });
    const run: Omit<MessageRun, 'history' | 'outcomeAttribute' | 'workflowId'> = { calls };
    try {
      run.result = await handle.result();
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      run.failure = error;
    }
    const [{ searchAttributes }, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
    return { ...run, outcomeAttribute: searchAttributes.CrawlflowOutcome?.[0], workflowId, history };
  });
}
