import { GENERATOR_STATUS_NAMES, GeneratorStatus, type Generator } from '../../store/generators';

/** The seed's release ladder: a generator is promoted one step at a time, each after a passing test. */
const LADDER: readonly GeneratorStatus[] = [GeneratorStatus.Alpha, GeneratorStatus.Beta, GeneratorStatus.Production];

export type StatusChangeCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether a person may set a generator's status (the seed's alpha / beta / production / on /
 * off / 测试失败):
 * - promotion — alpha → beta → production, one step at a time — needs a passing test of the
 *   code as it is now (its current revision);
 * - "test failed" is set only by a failed test, and left by a passing one (back to alpha) or by
 *   switching the generator off;
 * - everything else (demotion, on, off) is allowed.
 */
export function checkStatusChange(generator: Pick<Generator, 'status' | 'revision' | 'lastTest'>, wanted: GeneratorStatus): StatusChangeCheck {
  const current = generator.status;
  if (wanted === current) return { ok: true };
  const name = (status: GeneratorStatus) => GENERATOR_STATUS_NAMES[status] ?? String(status);
  if (wanted === GeneratorStatus.TestFailed) {
    return { ok: false, reason: 'status "test failed" is set by a failed test run, not by hand' };
  }
  if (current === GeneratorStatus.TestFailed && wanted !== GeneratorStatus.Off) {
    return { ok: false, reason: `the last test failed: run a test that passes (it sets alpha), or switch the generator off — not ${name(wanted)}` };
  }
  const from = LADDER.indexOf(current);
  const to = LADDER.indexOf(wanted);
  if (to <= 0 || (from >= 0 && to < from)) return { ok: true };
  if (from < 0 || to !== from + 1) {
    return { ok: false, reason: `promote one step at a time: alpha → beta → production (it is ${name(current)})` };
  }
  const test = generator.lastTest;
  if (!test || test.revision !== generator.revision) {
    return { ok: false, reason: `promotion to ${name(wanted)} needs a passing test of revision ${generator.revision}: run a test first` };
  }
  if (!test.passed) return { ok: false, reason: `promotion to ${name(wanted)} needs a passing test; the last one failed: ${test.reason ?? ''}`.trim() };
  return { ok: true };
}
