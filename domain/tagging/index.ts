/**
 * The tagging engine (docs/tagging.md). The pipeline needs `createTaggingEngine` and the
 * contract in ./api; the rest is exported for the CLI, tests and the benchmark.
 */
export * from './api';
export {
  createTaggingEngine,
  type PooledTaggingEngine,
  type ReloadOutcome,
  type TaggingEngineOptions,
  type TaggingEngineStats,
} from './engine/pooled-engine';
export { ENGINE_VERSION } from './engine/snapshot';
export { RulesFileError, type RuleProblem } from './rules/rules-error';
export { ModelFileError } from './classifier/model-file';
