import { withoutTrailingDot } from './host';
import { normalizePercentEncoding } from './percent-encoding';

export { normalizePercentEncoding };

/**
 * URI normalization. The safe rules (the ones Nutch, StormCrawler and Heritrix agree on) always
 * apply; opinionated ones are per-job options, off by default. The WHATWG parser already does
 * part of the work for http(s): lower-case scheme and host, IDN → punycode, default port
 * dropped, empty path → "/", dot segments removed (including %2e forms). This module adds the
 * rest and serializes: canonical percent-encoding (./percent-encoding), no userinfo, no trailing
 * dot on the host, no empty query, no fragment unless the job keeps it. The output is itself a
 * URL the WHATWG parser leaves as it is, and normalizing it again gives it back.
 * Bump {@link URI_RULES_VERSION} whenever the output for some input changes.
 */

/**
 * Stored beside every normalized URI (crawler_task_source.rules_version, ingest_run.rules_version).
 * 2: canonical percent-encoding that never merges (a bare `%` before escaped hex digits), the
 * characters URIs may not hold (`[ ] { } | ^ \ `` ` ``) escaped, userinfo and the host's
 * trailing dot dropped; hosts and ports that cannot exist rejected; whitespace rule (validate.ts).
 */
export const URI_RULES_VERSION = 2;

/** Per-job normalization options (job_settings); every option is off by default. */
export interface NormalizeOptions {
  /** Keep the `#fragment`. @default false (it never reaches the server) */
  keepFragment?: boolean;
  /** Sort query parameters by name (stable for equal names). @default false */
  sortQuery?: boolean;
  /** Drop tracking parameters ({@link TRACKING_PARAMETERS}, utm_*). @default false */
  dropTrackingParams?: boolean;
  /** Strip session ids: `;jsessionid=…` path parameters and {@link SESSION_PARAMETERS}. @default false */
  stripSessionIds?: boolean;
}

/** Tracking parameters dropped by `dropTrackingParams`, besides every `utm_*`. */
export const TRACKING_PARAMETERS: ReadonlySet<string> = new Set([
  'gclid', 'gclsrc', 'dclid', 'fbclid', 'msclkid', 'yclid', 'twclid', 'ttclid', 'igshid',
  'mc_cid', 'mc_eid', '_ga', '_gl', '_hsenc', '_hsmi', 'mkt_tok', 'wickedid', 'oly_anon_id', 'oly_enc_id',
]);

/** Session-id query parameters dropped by `stripSessionIds`. */
export const SESSION_PARAMETERS: ReadonlySet<string> = new Set([
  'jsessionid', 'phpsessid', 'aspsessionid', 'sessionid', 'session_id', 'sid', 'cfid', 'cftoken',
]);

/**
 * The normalized form of a parsed URL (see `validateUri`), as a string. Pure and deterministic:
 * the same URL and options always give the same string, which is what de-duplication hashes.
 */
export function normalizeUrl(url: URL, options: NormalizeOptions = {}): string {
  let path = normalizePercentEncoding(url.pathname);
  if (options.stripSessionIds) path = stripSessionPathParameters(url, path);

  let parameters = url.search === '' ? [] : normalizePercentEncoding(url.search.slice(1)).split('&');
  if (options.dropTrackingParams) parameters = parameters.filter((parameter) => !isTracking(parameterName(parameter)));
  if (options.stripSessionIds) parameters = parameters.filter((parameter) => !SESSION_PARAMETERS.has(parameterName(parameter)));
  if (options.sortQuery) {
    parameters = parameters
      .map((parameter, index) => ({ parameter, index, name: parameter.split('=', 1)[0] ?? '' }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index))
      .map((entry) => entry.parameter);
  }
  // An empty query ("…?") says nothing: dropped, like an empty fragment.
  const query = parameters.length === 0 || (parameters.length === 1 && parameters[0] === '') ? '' : `?${parameters.join('&')}`;

  const fragment = options.keepFragment && url.hash.length > 1 ? `#${normalizePercentEncoding(url.hash.slice(1))}` : '';
  // Userinfo is left out: credentials do not name the resource, the fetcher never sends them,
  // and a stored URI is shown, logged and published (./redact).
  return `${url.protocol}//${withoutTrailingDot(url.hostname)}${url.port ? `:${url.port}` : ''}${path}${query}${fragment}`;
}

/** The parameter's name, decoded and lower-cased, for matching against the lists above. */
function parameterName(parameter: string): string {
  const name = parameter.split('=', 1)[0] ?? '';
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

function isTracking(name: string): boolean {
  return name.startsWith('utm_') || TRACKING_PARAMETERS.has(name);
}

/**
 * `/a;jsessionid=XYZ/b` → `/a/b` (Java servlets put the session in a path parameter). What is
 * left can be a dot segment (`/..;jsessionid=1/`): the path is parsed again so that it resolves
 * now rather than on the next normalization.
 */
function stripSessionPathParameters(url: URL, path: string): string {
  const stripped = path.replace(/;(?:jsessionid|phpsessid|sid|sessionid)=[^/;]*/gi, '');
  if (stripped === path) return path;
  const reparsed = new URL(url.href);
  reparsed.pathname = stripped;
  return normalizePercentEncoding(reparsed.pathname);
}
