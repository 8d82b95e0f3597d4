import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileModel } from '../classifier/compiled-model';
import { loadModelFile } from '../classifier/model-file';
import { compileRules } from '../rules/compile-rules';
import { loadRulesFile, type RuleSetDefinition } from '../rules/load-rules';
import { RulesFileError } from '../rules/rules-error';
import { snapshotKey, type EngineSnapshot } from './snapshot';

/** Where the built-in rules live: `default-rules/<service type>.yaml`. */
export const DEFAULT_RULES_DIRECTORY = resolve(__dirname, '..', 'default-rules');

export interface SnapshotSources {
  serviceType: string;
  /** A rules file; undefined means the built-in rules of the service type. */
  rulesFile?: string;
  /** A classifier model file; undefined means rules only. */
  modelFile?: string;
}

export interface LoadedSnapshot {
  snapshot: EngineSnapshot;
  definition: RuleSetDefinition;
  /** Files whose change means a reload. */
  files: string[];
}

/** The built-in rules file for a service type; a RulesFileError lists the ones that exist. */
export function defaultRulesFile(serviceType: string): string {
  const file = join(DEFAULT_RULES_DIRECTORY, `${serviceType}.yaml`);
  if (!/^[\w.-]+$/.test(serviceType) || !existsSync(file)) {
    const available = readdirSync(DEFAULT_RULES_DIRECTORY)
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => name.replace(/\.yaml$/, ''));
    throw new RulesFileError(`built-in:${serviceType}`, [
      { message: `no built-in rules for service type "${serviceType}" (built in: ${available.join(', ')}); set TAGGER_RULES_FILE` },
    ]);
  }
  return file;
}

/**
 * Reads, validates and compiles the rules (and model) into a snapshot whose arrays are
 * shared memory.
 * @throws {RulesFileError} for a rules file that cannot be used.
 * @throws {ModelFileError} for a model file that cannot be used.
 */
export function loadSnapshot(sources: SnapshotSources): LoadedSnapshot {
  const builtIn = sources.rulesFile === undefined;
  const file = sources.rulesFile ?? defaultRulesFile(sources.serviceType);
  const definition = loadRulesFile(file, {
    serviceType: sources.serviceType,
    sourceName: builtIn ? `built-in:${sources.serviceType}` : undefined,
  });
  const rules = compileRules(definition, { shared: true });
  const model = sources.modelFile === undefined ? undefined : compileModel(loadModelFile(sources.modelFile), { shared: true });
  return {
    snapshot: { key: snapshotKey(rules.version, model?.version), rules, ...(model ? { model } : {}) },
    definition,
    files: sources.modelFile === undefined ? definition.files : [...definition.files, sources.modelFile],
  };
}
