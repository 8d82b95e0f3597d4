import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normalizePercentEncoding, normalizeUrl, type NormalizeOptions } from '../../domain/uris/normalize';
import { prepareUri, type UriPolicy } from '../../domain/uris/prepare';
import { redactUserinfo } from '../../domain/uris/redact';
import { validateUri } from '../../domain/uris/validate';

/**
 * Properties of the URI rules, over generated inputs built to be nasty: bare `%`, `%H`, escapes
 * of hex digits and of `%` itself, both hex cases, unicode, IDN and IP hosts, ports, userinfo,
 * queries with `[ ] { } | ^ \ `` ` ``, fragments. Failures print the seed and the shrunk input.
 */

const web: UriPolicy = { allowedSchemes: ['http', 'https'] };
const RUNS = 3000;

// --- An oracle for "the same resource", written apart from the implementation ---------------

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const KEPT_RESERVED = "!$&'()*+,;=:@/?";

/**
 * A path, query or fragment as the sequence of things a server tells apart: characters (an
 * unreserved one and its escape are one), escaped octets (hex case ignored; characters a URI may
 * not hold stand for their UTF-8 escapes), and bare `%` signs, which are neither.
 */
function resourceTokens(component: string): string[] {
  const tokens: string[] = [];
  for (const piece of component.match(/%[0-9A-Fa-f]{2}|[\s\S]/gu) ?? []) {
    if (piece.length === 3 && piece.startsWith('%')) {
      const char = String.fromCharCode(Number.parseInt(piece.slice(1), 16));
      tokens.push(UNRESERVED.test(char) ? `char ${char}` : `octet ${piece.slice(1).toUpperCase()}`);
    } else if (piece === '%') tokens.push('bare %');
    else if (UNRESERVED.test(piece) || KEPT_RESERVED.includes(piece)) tokens.push(`char ${piece}`);
    else for (const byte of new TextEncoder().encode(piece)) tokens.push(`octet ${byte.toString(16).toUpperCase().padStart(2, '0')}`);
  }
  return tokens;
}

/**
 * Which resource a URI names, from its WHATWG parse, with only the documented equivalences
 * applied (docs/ingest.md): scheme, host without its trailing dot, port, path and query tokens.
 * Userinfo, an empty query and the fragment (all options off) do not name anything.
 */
function resourceOf(input: string): string {
  const url = new URL(input.trim());
  return JSON.stringify([
    url.protocol,
    url.hostname.replace(/\.$/, ''),
    url.port,
    resourceTokens(url.pathname),
    resourceTokens(url.search.slice(1)),
  ]);
}

// --- Generators -------------------------------------------------------------------------------

/** Pieces of a path, query or fragment, weighted to the ones that broke rules before. */
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('%', '%%', '%5', '%G', '%4', '%a', '%25', '%2525', '%%25') },
  { weight: 6, arbitrary: fc.constantFrom('%35', '%32', '%41', '%61', '%66', '%46', '%30', '%39', '%3a', '%3A', '%7e', '%7E', '%2e', '%2E', '%2d', '%5f') },
  { weight: 4, arbitrary: fc.constantFrom('5', '2', 'A', 'a', 'f', 'F', '0', '9', 'R', 'z', '~', '.', '-', '_') },
  { weight: 3, arbitrary: fc.constantFrom('%52', '%2F', '%2f', '%3D', '%26', '%3F', '%23', '%20', '%C3%A9', '%c3%a9', '%FF', '%00', '%7B', '%7b', '%5B', '%5C', '%60', '%7C', '%5E') },
  { weight: 3, arbitrary: fc.constantFrom('[', ']', '{', '}', '|', '^', '\\', '`', '"', '<', '>', "'") },
  { weight: 3, arbitrary: fc.constantFrom('&', '=', '+', ';', ',', ':', '@', '!', '$', '(', ')', '*', '/', '?', '#') },
  { weight: 2, arbitrary: fc.constantFrom('é', '你好', '😀', 'ß', 'İ', '\u0301') },
  { weight: 1, arbitrary: fc.constantFrom('.', '..', '/./', '/../', '%2e%2e', '.%2E') },
  { weight: 1, arbitrary: fc.constantFrom(';jsessionid=1', ';JSESSIONID=%41', '/..;sid=2/', '&sid=1&', 'utm_source=x&', '&%75tm_medium=y', 'b=2&a=1&') },
);
const component = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(''));

const label = fc.oneof(
  fc.constantFrom('example', 'EXAMPLE', 'a', 'x-y', 'a_b', 'xn--bcher-kva', 'bücher', '例子', 'ＡＢＣ', 'www', '0', '09'),
  fc.stringMatching(/^[a-z0-9]{1,8}$/),
);
const host = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'COM', 'org', 'xn--0zwm56d', '测试'), fc.constantFrom('', '.')).map(([labels, tld, dot]) => [...labels, tld].join('.') + dot) },
  { weight: 2, arbitrary: fc.constantFrom('127.0.0.1', '0x7f.0.0.1', '0177.0.0.1', '2130706433', '1.2.3.4.', '[::1]', '[2001:DB8::1]', '[::ffff:1.2.3.4]', '[0:0:0:0:0:0:0:1]', 'localhost') },
  { weight: 1, arbitrary: fc.constantFrom('ex%41mple.com', 'exa{m}ple.com', 'a..b', '.', 'a..', '..', 'a b.com', 'x*.com', 'a!b.com', 'a&b=c') },
);
const userinfo = fc.constantFrom('', '', '', 'user@', 'user:pass@', 'User:P%40ss@', ':@', '@', 'a@b@');
const port = fc.constantFrom('', '', '', ':80', ':443', ':8080', ':0', ':00080', ':65535', ':');
const scheme = fc.constantFrom('http', 'https', 'HTTP', 'HtTpS');

const uriText = fc
  .record({ scheme, userinfo, host, port, path: component, query: fc.option(component), fragment: fc.option(component) })
  .map(({ scheme, userinfo, host, port, path, query, fragment }) => {
    const pathPart = path === '' || path.startsWith('/') ? path : `/${path}`;
    return `${scheme}://${userinfo}${host}${port}${pathPart}${query === null ? '' : `?${query}`}${fragment === null ? '' : `#${fragment}`}`;
  });

const options = fc.record({ keepFragment: fc.boolean(), sortQuery: fc.boolean(), dropTrackingParams: fc.boolean(), stripSessionIds: fc.boolean() });

/** One small edit near position `at` of the text after the authority. */
function applyEdit(text: string, at: number, kind: string): string {
  const start = text.indexOf('/', text.indexOf('//') + 2);
  if (start < 0) return text;
  const i = start + 1 + (at % Math.max(1, text.length - start));
  const head = text.slice(0, i);
  const tail = text.slice(i);
  switch (kind) {
    case 'lower-hex':
      return head + tail.replace(/%[0-9A-F]{2}/, (escape) => escape.toLowerCase());
    case 'upper-hex':
      return head + tail.replace(/%[0-9a-f]{2}/i, (escape) => escape.toUpperCase());
    case 'escape':
      return head + tail.replace(/[A-Za-z0-9]/, (char) => `%${char.charCodeAt(0).toString(16)}`);
    case 'drop-%':
      return head + tail.replace('%', '');
    case 'add-%':
      return `${head}%${tail}`;
    case 'add-%25':
      return `${head}%25${tail}`;
    case 'add-5':
      return `${head}5${tail}`;
    default:
      return `${head}%2e${tail}`;
  }
}

function accepted(input: string, policy: UriPolicy = web) {
  const prepared = prepareUri(input, policy);
  return prepared.ok ? prepared : null;
}

// --- Properties -------------------------------------------------------------------------------

describe('URI rules: properties (fast-check)', () => {
  it('never accepts what the WHATWG parser rejects', () => {
    fc.assert(
      fc.property(fc.oneof(uriText, fc.string({ unit: 'binary', maxLength: 40 }).map((text) => `http://${text}`)), (input) => {
        const validation = validateUri(input, web);
        if (validation.ok) assert.doesNotThrow(() => new URL(input.trim()));
      }),
      { numRuns: RUNS },
    );
  });

  it('is idempotent: normalizing a normalized URI gives it back, with any options', () => {
    let tried = 0;
    fc.assert(
      fc.property(uriText, options, (input, opts: NormalizeOptions) => {
        const policy = { ...web, ...opts };
        const once = accepted(input, policy);
        if (!once) return;
        tried++;
        const twice = accepted(once.normalized, policy);
        assert.ok(twice, `the normalized form ${once.normalized} is itself accepted`);
        assert.equal(twice.normalized, once.normalized);
      }),
      { numRuns: RUNS },
    );
    assert.ok(tried > RUNS / 2, `most generated URIs are valid ones (${tried} of ${RUNS})`);
  });

  it('normalizeUrl alone is idempotent on every URL WHATWG parses, even ones validation refuses', () => {
    fc.assert(
      fc.property(uriText, options, (input, opts) => {
        let url: URL;
        try {
          url = new URL(input);
        } catch {
          return;
        }
        const once = normalizeUrl(url, opts);
        assert.equal(normalizeUrl(new URL(once), opts), once, `${input} → ${once}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('gives a URL the WHATWG parser leaves as it is (what is stored is what is fetched)', () => {
    fc.assert(
      fc.property(uriText, options, (input, opts) => {
        const once = accepted(input, { ...web, ...opts });
        if (once) assert.equal(new URL(once.normalized).href, once.normalized);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps the resource: the normalized URI names what its input named', () => {
    fc.assert(
      fc.property(uriText, (input) => {
        const once = accepted(input);
        if (once) assert.equal(resourceOf(once.normalized), resourceOf(input), `${input} → ${once.normalized}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('with all options off, two inputs share a key exactly when they name the same resource', () => {
    // Pairs spelled from the same characters in different ways (literal, escaped, either hex
    // case), so that many of them do name one resource — and some, where a bare % meets
    // hex digits, only look as if they did.
    const spellings: readonly (readonly string[])[] = [
      ['%'], ['%%'], ['%25'], ['5', '%35'], ['2', '%32'], ['a', '%61'], ['A', '%41'], ['R', '%52', '%52'],
      ['{', '%7B', '%7b'], ['[', '%5B', '%5b'], ['|', '%7C', '%7c'], ['^', '%5E'], ['`', '%60'], ['\\', '%5C'],
      ['é', '%C3%A9', '%c3%a9'], ['/', '%2F'], ['&', '%26'], ['=', '%3D'],
    ];
    const spelled = fc.array(fc.tuple(fc.nat(spellings.length - 1), fc.nat(2), fc.nat(2)), { maxLength: 5 }).map((atoms) => {
      const spell = (which: 1 | 2) => atoms.map((atom) => { const forms = spellings[atom[0]]!; return forms[atom[which] % forms.length]!; }).join('');
      return [spell(1), spell(2)] as const;
    });
    const hosts = ['x.com', 'X.com', 'x.com.', 'user:pw@x.com', 'x.com:80', 'y.com'];
    const pair = fc
      .record({ hosts: fc.tuple(fc.constantFrom(...hosts), fc.constantFrom(...hosts)), path: spelled, query: fc.option(spelled), fragments: fc.tuple(fc.option(spelled), fc.option(spelled)) })
      .map(({ hosts: [hostA, hostB], path, query, fragments: [fragmentA, fragmentB] }) => {
        const uri = (host: string, which: 0 | 1, fragment: readonly [string, string] | null) =>
          `http://${host}/${path[which]}${query === null ? '' : `?${query[which]}`}${fragment === null ? '' : `#${fragment[which]}`}`;
        return [uri(hostA, 0, fragmentA), uri(hostB, 1, fragmentB)] as const;
      });
    let oneResource = 0;
    let twoResources = 0;
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const first = accepted(a);
        const second = accepted(b);
        assert.ok(first && second, `${a} and ${b} are accepted`);
        const same = resourceOf(a) === resourceOf(b);
        if (same) oneResource++;
        else twoResources++;
        assert.equal(first.hash === second.hash, same, `${a} → ${first.normalized}; ${b} → ${second.normalized}`);
      }),
      { numRuns: 10_000 },
    );
    assert.ok(oneResource > 1000 && twoResources > 1000, `both kinds of pair were tried (${oneResource} one resource, ${twoResources} two)`);
  });

  it('with all options off, inputs whose WHATWG hrefs differ beyond those equivalences never share a key', () => {
    // Near misses: the second input is the first with one small edit, of the kind that turns
    // one resource into another or only respells it.
    const edit = fc.tuple(fc.nat(), fc.constantFrom('lower-hex', 'upper-hex', 'escape', 'drop-%', 'add-%', 'add-%25', 'add-5', 'double-dot'));
    let nearMisses = 0;
    fc.assert(
      fc.property(uriText, edit, (a, [at, kind]) => {
        const b = applyEdit(a, at, kind);
        const first = accepted(a);
        const second = accepted(b);
        if (!first || !second) return;
        if (new URL(a).href !== new URL(b).href) nearMisses++;
        if (first.hash !== second.hash) return;
        assert.equal(resourceOf(a), resourceOf(b), `${a} (${new URL(a).href}) and ${b} (${new URL(b).href}) share ${first.normalized}`);
      }),
      { numRuns: RUNS },
    );
    assert.ok(nearMisses > RUNS / 3, `most edits changed the WHATWG href (${nearMisses})`);
  });

  it('redacts the userinfo the WHATWG parser sees, and nothing else', () => {
    fc.assert(
      fc.property(uriText, (input) => {
        let url: URL;
        try {
          url = new URL(input);
        } catch {
          return;
        }
        const redacted = redactUserinfo(input);
        const after = new URL(redacted);
        assert.equal(after.host, url.host);
        assert.equal(after.pathname + after.search + after.hash, url.pathname + url.search + url.hash);
        // An empty userinfo ("http://:@x/") may come out as "***" too: harmless.
        if (url.username || url.password) assert.equal(after.username, '***');
        else assert.ok(after.username === '' || after.username === '***');
        assert.equal(after.password, '');
        if (!redacted.includes('***')) assert.equal(redacted, input);
      }),
      { numRuns: RUNS },
    );
  });

  it('percent normalization alone is idempotent and reversible to the same tokens', () => {
    fc.assert(
      fc.property(component, (text) => {
        const once = normalizePercentEncoding(text);
        assert.equal(normalizePercentEncoding(once), once);
        assert.deepEqual(resourceTokens(once), resourceTokens(text));
      }),
      { numRuns: RUNS },
    );
  });
});
