import type { Message } from '../../infra/i18n/i18n';
import { uriHash } from './hash';
import { normalizeUrl, URI_RULES_VERSION, type NormalizeOptions } from './normalize';
import { validateUri, type UriRejection } from './validate';

/** The URI rules one job applies: which schemes, which opinionated normalizations. */
export interface UriPolicy extends NormalizeOptions {
  allowedSchemes: readonly string[];
}

export type PreparedUri =
  | { ok: true; original: string; normalized: string; hash: string; rulesVersion: number }
  | { ok: false; original: string; code: UriRejection; reason: string; reasonMessage: Message };

/** Validate → normalize → hash: everything ingest and the generators do to one input string. */
export function prepareUri(input: string, policy: UriPolicy): PreparedUri {
  const validation = validateUri(input, policy);
  if (!validation.ok) return { ok: false, original: input, code: validation.code, reason: validation.reason, reasonMessage: validation.reasonMessage };
  const normalized = normalizeUrl(validation.url, policy);
  return { ok: true, original: input, normalized, hash: uriHash(normalized), rulesVersion: URI_RULES_VERSION };
}
