import { proxyActivities } from '@temporalio/workflow';
import type { GeneratorTestActivities, GeneratorTestReport } from '../activities/generator-test';

export interface GeneratorTestInput {
  generatorId: string;
  /** The sandbox queue. */
  sandboxQueue: string;
  /** The generator's wall-time limit: the activity's timeout is sized from it. */
  timeoutSeconds: number;
}

/**
 * A test run on demand (`crawlflow generator test`, the page's "test"): the generator's script
 * in the sandbox, its printed lines judged as a real run would judge them, nothing stored. The
 * caller records the verdict (the seed's "test failed" status).
 */
export async function generatorTestWorkflow(input: GeneratorTestInput): Promise<GeneratorTestReport> {
  const { testGenerator } = proxyActivities<GeneratorTestActivities>({
    taskQueue: input.sandboxQueue,
    startToCloseTimeout: `${input.timeoutSeconds + 120}s`,
    heartbeatTimeout: '1m',
    // A failing script is a report, not an error; a worker that died is worth one more try.
    retry: { initialInterval: '5s', maximumAttempts: 2, nonRetryableErrorTypes: ['GeneratorTestError'] },
  });
  return testGenerator({ generatorId: input.generatorId });
}
