// The worker's workflowsPath: every workflow crawlflow runs is exported here.
export { selfCheckWorkflow } from './self-check';
export { alertDigestWorkflow } from './alert-digest';
export { messageWorkflow } from './message';
export { batchWorkflow } from './batch';
export { generatorRunWorkflow } from './generator-run';
export { generatorTestWorkflow } from './generator-test';
export { payloadPruneWorkflow } from './payload-prune';
