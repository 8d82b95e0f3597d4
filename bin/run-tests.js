#!/usr/bin/env node
'use strict';
// `npm test [-- files…]`: installs the system packages the tests use, brings the local stack up
// when it is not (the tests talk to real services and never skip), then runs the suite with
// node's own test runner. CRAWLFLOW_STACK_PROFILE picks the stack (and, without files, the suite).
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const root = resolve(__dirname, '..');

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // test/cluster/ checks the cluster profile's services: it runs in the cluster suite only.
    if (statSync(path).isDirectory()) return name === 'fixtures' || path === join(root, 'test', 'cluster') ? [] : findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

// CRAWLFLOW_STACK_PROFILE=cluster npm test: the cluster profile's suite — its topology, and the
// pipeline's end-to-end and resilience tests — against the cluster profile (docs/deploy.md).
const profile = process.env.CRAWLFLOW_STACK_PROFILE?.trim() || 'dev';
const CLUSTER_SUITE = ['test/cluster', 'test/pipeline/pipeline.test.ts', 'test/pipeline/resilience.test.ts'];
function clusterSuite() {
  return CLUSTER_SUITE.flatMap((entry) => {
    const path = join(root, entry);
    return statSync(path).isDirectory() ? readdirSync(path).filter((name) => name.endsWith('.test.ts')).map((name) => join(path, name)) : [path];
  });
}

const requested = process.argv.slice(2);
// A folder given on the command line means every test file below it.
const expand = (entry) => (statSync(resolve(entry)).isDirectory() ? findTests(resolve(entry)) : [resolve(entry)]);
const files = (requested.length > 0 ? requested.flatMap(expand) : profile === 'cluster' ? clusterSuite() : findTests(join(root, 'test')))
  .sort()
  .map((file) => relative(root, file));

// The tests drive real Chromium, run the seed's own mongoengine models and sandbox scripts
// with bubblewrap: install those Debian packages first (quick when they are there).
const systemPackages = spawnSync('bash', [join(root, 'scripts', 'install-system-packages.sh')], { cwd: root, stdio: 'inherit' });
if (systemPackages.status !== 0) {
  console.error('System packages the tests need are missing; see the messages above.');
  process.exit(1);
}

const stackUp = spawnSync(process.execPath, [join(root, 'bin', 'stack.js'), 'up'], { cwd: root, stdio: 'inherit' });
if (stackUp.status !== 0) {
  console.error('The local stack did not come up; see the messages above. Tests need the real services.');
  process.exit(1);
}

// One file at a time: the files share one Temporal server, broker and database on 2 cores.
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL || 'warn', LOG_FORMAT: 'json' } },
);
process.exit(run.status ?? 1);
