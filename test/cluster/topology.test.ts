import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigResourceTypes } from 'kafkajs';
import { SEARCH_ATTRIBUTE_TYPES } from '../../common/search-attributes';
import { CLUSTER_PORTS } from '../../infra/config/stack-profile';
import { createKafka } from '../../infra/kafka/kafka';
import { closeTemporalClient, connectTemporalClient } from '../../infra/temporal/connection';
import { TEMPORAL_SERVER_VERSION } from '../../stack/cluster-services';
import { setupInfrastructure } from '../../cli/setup';
import { requireStack, testConfig, testLogger } from '../../support/stack';

// The cluster profile of the local stack (`CRAWLFLOW_STACK_PROFILE=cluster npm test`): what
// crawlflow's setup makes of it and what the services are, checked on the running services.
const config = testConfig();

describe('cluster profile topology', () => {
  before(async () => {
    assert.equal(config.stackProfile, 'cluster', 'run with CRAWLFLOW_STACK_PROFILE=cluster (the CI step of .ci/run does)');
    await requireStack();
    await setupInfrastructure(config, testLogger(config));
  });

  const admin = createKafka(config.kafka, undefined, 'topology').admin();
  before(() => admin.connect());
  after(() => admin.disconnect());

  it('has three brokers, and crawlflow creates its topics on all three with min.insync.replicas 2', async () => {
    const cluster = await admin.describeCluster();
    assert.deepEqual(cluster.brokers.map((broker) => broker.port).sort(), [...CLUSTER_PORTS.kafkaBrokers]);
    const { topics } = await admin.fetchTopicMetadata({ topics: [config.kafka.inputTopic, config.kafka.outputTopic, config.kafka.deadLetterTopic] });
    for (const topic of topics) {
      assert.equal(topic.partitions.length, config.kafka.topicPartitions, `${topic.name} partitions`);
      for (const partition of topic.partitions) {
        assert.equal(partition.replicas.length, 3, `${topic.name}/${partition.partitionId} has three replicas`);
        assert.equal(partition.isr.length, 3, `${topic.name}/${partition.partitionId} has them in sync`);
      }
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: config.kafka.inputTopic, configNames: ['min.insync.replicas'] }],
    });
    assert.equal(described.resources[0]?.configEntries.find((entry) => entry.configName === 'min.insync.replicas')?.configValue, '2');
  });

  it('runs the Temporal server on PostgreSQL with the default namespace, its retention and crawlflow’s search attributes', async () => {
    const client = await connectTemporalClient(config.temporal);
    try {
      const info = await client.connection.workflowService.getSystemInfo({});
      assert.equal(`v${info.serverVersion}`, TEMPORAL_SERVER_VERSION, 'the Temporal server, not the dev server');
      const namespace = await client.connection.workflowService.describeNamespace({ namespace: 'default' });
      assert.equal(Number(namespace.config?.workflowExecutionRetentionTtl?.seconds), 30 * 24 * 3600, '30-day retention');
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const name of Object.keys(SEARCH_ATTRIBUTE_TYPES)) assert.ok(name in (customAttributes ?? {}), `search attribute ${name}`);
      const cluster = await client.connection.workflowService.getClusterInfo({});
      assert.equal(cluster.persistenceStore, 'postgres12');
      assert.equal(cluster.historyShardCount, 4);
    } finally {
      await closeTemporalClient(client);
    }
  });

  it('serves the Temporal Web UI, pointing at the cluster’s server', async () => {
    const response = await fetch(`${config.temporal.uiUrl}/api/v1/namespaces/default`);
    assert.equal(response.status, 200, 'the UI server answers for the default namespace through the cluster server');
    const body = (await response.json()) as { namespaceInfo?: { name?: string } };
    assert.equal(body.namespaceInfo?.name, 'default');
  });
});
