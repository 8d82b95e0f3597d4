import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { temporalLogLevel } from '../../infra/temporal/runtime';

describe("the Temporal SDK's log lines in crawlflow's log", () => {
  it('per-retry gRPC lines and a completion lost to an unreachable server are debug; other warnings keep their level', () => {
    assert.equal(temporalLogLevel('WARN', 'gRPC call poll_workflow_task_queue retried 6 times'), 'debug');
    assert.equal(temporalLogLevel('WARN', 'No workflows registered, not polling for workflow tasks'), 'debug');
    const refused = { error: `code: 'The service is currently unavailable', message: "tcp connect error", source: ConnectionRefused` };
    assert.equal(temporalLogLevel('WARN', 'Error while completing workflow activation', refused), 'debug');
    // The same line for another cause (a nondeterministic workflow, a payload too large) is for a person.
    assert.equal(temporalLogLevel('WARN', 'Error while completing workflow activation', { error: 'Nondeterminism error: …' }), 'warn');
    assert.equal(temporalLogLevel('WARN', 'gRPC call poll_workflow_task_queue failed for good'), 'warn');
    assert.equal(temporalLogLevel('ERROR', 'Worker failed'), 'error');
  });
});
