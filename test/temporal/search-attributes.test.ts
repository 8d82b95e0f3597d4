import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_TYPES, SearchAttributeKeys } from '../../common/search-attributes';
import { ensureSearchAttributes } from '../../infra/temporal/search-attributes';
import { eventually } from '../../support/eventually';
import { startThrowawayDevServer, type ThrowawayDevServer } from '../../support/throwaway-dev-server';
import { uniqueName } from '../../support/stack';

// The stack's dev server runs without system.forceSearchAttributesCacheRefreshOnRead (it cost
// throughput: docs/pipeline.md), so a search attribute created on a running server must be
// usable as soon as setup returns. A server of its own: this test creates attributes.
describe('search attributes', () => {
  let server: ThrowawayDevServer;
  let client: Client;
  before(async () => {
    server = await startThrowawayDevServer({ searchAttributes: false });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
  });
  after(async () => {
    await client?.connection.close();
    await server?.close();
  });

  it('creates the missing ones, which a start can set as soon as setup returns', async () => {
    assert.deepEqual((await ensureSearchAttributes(client)).sort(), Object.keys(SEARCH_ATTRIBUTE_TYPES).sort());
    const workflowId = uniqueName('sa-probe');
    const messageId = uniqueName('m');
    // No worker polls this queue: the start alone is what is checked, and the list finds the open run.
    await client.workflow.start('nothing', {
      taskQueue: uniqueName('nobody'),
      workflowId,
      typedSearchAttributes: [
        { key: SearchAttributeKeys.source, value: 'kafka' },
        { key: SearchAttributeKeys.job, value: 'news' },
        { key: SearchAttributeKeys.urlHost, value: 'example.com' },
        { key: SearchAttributeKeys.outcome, value: 'running' },
        { key: SearchAttributeKeys.generator, value: 'g1' },
        { key: SearchAttributeKeys.messageIds, value: [messageId, 'other'] },
      ],
    });
    const found = await eventually('the run listed by its message id', async () => {
      const runs: string[] = [];
      for await (const run of client.workflow.list({ query: `CrawlflowMessageIds = "${messageId}"` })) runs.push(run.workflowId);
      return runs.length > 0 ? runs : undefined;
    });
    assert.deepEqual(found, [workflowId]);
    assert.deepEqual(await ensureSearchAttributes(client), [], 'a second setup has nothing to add');
    await client.workflow.getHandle(workflowId).terminate();
  });
});
