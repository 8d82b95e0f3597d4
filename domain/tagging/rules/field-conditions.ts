import { compileSafeRegex, type SafeRegex } from '../text/safe-regex';
import { readPath } from '../text/prepare-message';
import type { FieldCondition } from './schema';

/**
 * Evaluates field conditions. Comparisons are strict about types, like the seed's
 * `type == 3`: the string "3" does not equal the number 3, and `gt`/`lt` hold only for numbers.
 */
export class FieldConditionEvaluator {
  private readonly regexes = new Map<string, SafeRegex>();

  /** True when every condition holds for `values` (the message, or the part of it rules read). */
  allHold(conditions: readonly FieldCondition[], values: unknown): boolean {
    for (const condition of conditions) if (!this.holds(condition, values)) return false;
    return true;
  }

  holds(condition: FieldCondition, values: unknown): boolean {
    const value = readPath(values, condition.path);
    if (condition.exists !== undefined && isPresent(value) !== condition.exists) return false;
    if (condition.equals !== undefined && !sameScalar(value, condition.equals)) return false;
    if (condition.notEquals !== undefined && sameScalar(value, condition.notEquals)) return false;
    if (condition.in !== undefined && !condition.in.some((candidate) => sameScalar(value, candidate))) return false;
    if (condition.notIn !== undefined && condition.notIn.some((candidate) => sameScalar(value, candidate))) return false;
    if (condition.hostIn !== undefined && !hostIsIn(value, condition.hostIn)) return false;
    if (condition.matches !== undefined && !(typeof value === 'string' && this.regex(condition.matches).test(value))) return false;
    if (condition.gt !== undefined && !(typeof value === 'number' && value > condition.gt)) return false;
    if (condition.gte !== undefined && !(typeof value === 'number' && value >= condition.gte)) return false;
    if (condition.lt !== undefined && !(typeof value === 'number' && value < condition.lt)) return false;
    if (condition.lte !== undefined && !(typeof value === 'number' && value <= condition.lte)) return false;
    return true;
  }

  private regex(pattern: string): SafeRegex {
    let regex = this.regexes.get(pattern);
    if (!regex) {
      regex = compileSafeRegex(pattern);
      this.regexes.set(pattern, regex);
    }
    return regex;
  }
}

/** Present means not missing, not null and not the empty string (the seed's `url != ""`). */
function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function sameScalar(value: unknown, expected: string | number | boolean | null): boolean {
  if (expected === null) return value === null || value === undefined;
  return value === expected;
}

/** The URL's host is one of `hosts` or a subdomain of one (`mp.weixin.qq.com` is in `qq.com`). */
export function hostIsIn(value: unknown, hosts: readonly string[]): boolean {
  if (typeof value !== 'string' || value === '') return false;
  let host: string;
  try {
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/\.$/, '');
  return hosts.some((candidate) => host === candidate || host.endsWith(`.${candidate}`));
}
