import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uriHash } from '../../domain/uris/hash';
import { normalizePercentEncoding, normalizeUrl, URI_RULES_VERSION, type NormalizeOptions } from '../../domain/uris/normalize';
import { prepareUri } from '../../domain/uris/prepare';
import { MAX_URI_CHARS, UriRejection, validateUri } from '../../domain/uris/validate';

const web = { allowedSchemes: ['http', 'https'] };

function normalize(input: string, options: NormalizeOptions = {}): string {
  const validation = validateUri(input, web);
  assert.ok(validation.ok, `${input} is valid`);
  return normalizeUrl(validation.url, options);
}

describe('validateUri', () => {
  const rejected: Array<[string, UriRejection, RegExp]> = [
    ['', UriRejection.Empty, /empty/],
    ['   \t ', UriRejection.Empty, /empty/],
    ['example.com/page', UriRejection.Unparsable, /no scheme/],
    ['http://', UriRejection.Unparsable, /host is empty/],
    ['http://exa mple.com/', UriRejection.Whitespace, /whitespace at character 11/],
    ['http://a.com/x http://b.com/y', UriRejection.Whitespace, /one URI per line/],
    ['http://a.com/\u0000x', UriRejection.Whitespace, /control character/],
    ['http://a.com:99999/', UriRejection.Unparsable, /bad port|not a valid/],
    ['http://a.com:port/', UriRejection.Unparsable, /bad port in "a.com:port"/],
    ['http://256.1.1.1/', UriRejection.Unparsable, /"256.1.1.1" is not a valid domain name or IP address/],
    ['http://xn--a.com/', UriRejection.Unparsable, /not a valid domain name/],
    ['http://exa<mple.com/', UriRejection.Unparsable, /not a valid domain/],
    ['ftp://files.example.com/a', UriRejection.SchemeNotAllowed, /scheme "ftp" is not allowed \(allowed: http, https\)/],
    ['javascript:alert(1)', UriRejection.SchemeNotAllowed, /"javascript"/],
    ['mailto:someone@example.com', UriRejection.SchemeNotAllowed, /"mailto"/],
    ['http://.com/', UriRejection.BadHost, /empty label/],
    ['http://a..b/', UriRejection.BadHost, /empty label/],
  ];
  for (const [input, code, reason] of rejected) {
    it(`rejects ${JSON.stringify(input)} as ${code}`, () => {
      const result = validateUri(input, web);
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.code, code);
      assert.match(result.reason, reason);
    });
  }

  it('accepts exactly 8000 characters and rejects 8001, saying how long it was', () => {
    const prefix = 'http://example.com/';
    const exact = prefix + 'a'.repeat(MAX_URI_CHARS - prefix.length);
    assert.equal(exact.length, 8000);
    assert.equal(validateUri(exact, web).ok, true);
    const result = validateUri(exact + 'a', web);
    assert.ok(!result.ok);
    assert.equal(result.code, UriRejection.TooLong);
    assert.equal(result.reason, 'longer than 8000 characters (8001)');
  });

  it('counts characters, not UTF-16 units: 8000 astral characters are 16000 units and still allowed', () => {
    const prefix = 'http://example.com/';
    const emoji = prefix + '😀'.repeat(MAX_URI_CHARS - prefix.length);
    assert.ok(emoji.length > MAX_URI_CHARS);
    assert.equal(validateUri(emoji, web).ok, true);
    assert.equal(validateUri(emoji + '😀', web).ok, false);
  });

  it('trims surrounding whitespace before the length check', () => {
    const uri = 'http://example.com/' + 'a'.repeat(MAX_URI_CHARS - 19);
    assert.equal(validateUri(`  ${uri}\r\n`, web).ok, true);
  });

  it('takes allowed schemes from the configuration', () => {
    assert.equal(validateUri('ftp://files.example.com/a', { allowedSchemes: ['ftp'] }).ok, true);
    assert.equal(validateUri('https://example.com/', { allowedSchemes: ['ftp'] }).ok, false);
  });
});

describe('normalizeUrl: the safe rules', () => {
  const cases: Array<[string, string, string]> = [
    ['trim', '  http://example.com/a \n', 'http://example.com/a'],
    ['lower-case scheme and host only', 'HTTP://WWW.Example.COM/Path/File?Q=V', 'http://www.example.com/Path/File?Q=V'],
    ['IDN host to punycode', 'http://例子.测试/路径', 'http://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84'],
    ['IDN, mixed case', 'https://BÜCHER.example/', 'https://xn--bcher-kva.example/'],
    ['drop default http port', 'http://example.com:80/a', 'http://example.com/a'],
    ['drop default https port', 'https://example.com:443/a', 'https://example.com/a'],
    ['keep a non-default port', 'http://example.com:8080/a', 'http://example.com:8080/a'],
    ['https on port 80 keeps it', 'https://example.com:80/', 'https://example.com:80/'],
    ['empty path → /', 'http://example.com', 'http://example.com/'],
    ['empty path with query → /', 'http://example.com?a=1', 'http://example.com/?a=1'],
    ['remove dot segments', 'http://example.com/a/./b/../c', 'http://example.com/a/c'],
    ['remove encoded dot segments', 'http://example.com/a/%2e%2E/b/%2E/c', 'http://example.com/b/c'],
    ['dot segments above the root', 'http://example.com/../../a', 'http://example.com/a'],
    ['decode unreserved escapes', 'http://example.com/%7Euser/%41%62%2D%5f%2e', 'http://example.com/~user/Ab-_.'],
    ['upper-case other escapes', 'http://example.com/a%2fb%3a?x=%2f%3d', 'http://example.com/a%2Fb%3A?x=%2F%3D'],
    ['leave a bare % alone', 'http://example.com/100%/%zz%4', 'http://example.com/100%/%zz%4'],
    ['encode non-ASCII path and query as UTF-8', 'http://example.com/你?q=好', 'http://example.com/%E4%BD%A0?q=%E5%A5%BD'],
    ['UTF-8 escapes upper-cased', 'http://example.com/%e4%bd%a0', 'http://example.com/%E4%BD%A0'],
    ['percent-encoded host decoded', 'http://%65xample.com/', 'http://example.com/'],
    ['drop the fragment', 'http://example.com/a#section-2', 'http://example.com/a'],
    ['drop an empty query', 'http://example.com/a?', 'http://example.com/a'],
    ['keep query order and +', 'http://example.com/?b=2&a=1+1', 'http://example.com/?b=2&a=1+1'],
    ['keep userinfo case', 'http://User:PW@Example.com/', 'http://User:PW@example.com/'],
    ['IPv6 literal', 'http://[2001:DB8::1]:80/', 'http://[2001:db8::1]/'],
    ['IPv4 in hex', 'http://0x7f.0.0.1/', 'http://127.0.0.1/'],
    ['backslashes are slashes (WHATWG)', 'http://example.com\\a\\b', 'http://example.com/a/b'],
    ['utm_* kept by default', 'http://example.com/?utm_source=x&id=1', 'http://example.com/?utm_source=x&id=1'],
    ['session ids kept by default', 'http://example.com/a;jsessionid=ABC?sid=1', 'http://example.com/a;jsessionid=ABC?sid=1'],
  ];
  for (const [rule, input, expected] of cases) {
    it(`${rule}: ${JSON.stringify(input)} → ${expected}`, () => {
      const once = normalize(input);
      assert.equal(once, expected);
      assert.equal(normalize(once), once, 'normalizing again changes nothing');
    });
  }

  it('keeps the fragment when the job asks, with its escapes normalized', () => {
    assert.equal(normalize('http://example.com/a#Sec%7e%2f', { keepFragment: true }), 'http://example.com/a#Sec~%2F');
    assert.equal(normalize('http://example.com/a#', { keepFragment: true }), 'http://example.com/a');
  });
});

describe('normalizeUrl: opinionated rules, per job', () => {
  const cases: Array<[NormalizeOptions, string, string]> = [
    [{ sortQuery: true }, 'http://e.com/?b=2&a=1&c=3&a=0', 'http://e.com/?a=1&a=0&b=2&c=3'],
    [{ sortQuery: true }, 'http://e.com/?z&y=', 'http://e.com/?y=&z'],
    [{ dropTrackingParams: true }, 'http://e.com/?utm_source=x&id=1&UTM_Medium=y&gclid=z&fbclid=w', 'http://e.com/?id=1'],
    [{ dropTrackingParams: true }, 'http://e.com/?utm_campaign=only', 'http://e.com/'],
    [{ dropTrackingParams: true }, 'http://e.com/?%75tm_source=x&a=1', 'http://e.com/?a=1'],
    [{ stripSessionIds: true }, 'http://e.com/a;jsessionid=ABC123/b?PHPSESSID=9&x=1', 'http://e.com/a/b?x=1'],
    [{ stripSessionIds: true }, 'http://e.com/cart;JSESSIONID=1?sid=2', 'http://e.com/cart'],
    [
      { sortQuery: true, dropTrackingParams: true, stripSessionIds: true, keepFragment: true },
      'HTTP://E.com:80/./x/../p;jsessionid=1?utm_source=a&b=2&a=1#Top',
      'http://e.com/p?a=1&b=2#Top',
    ],
  ];
  for (const [options, input, expected] of cases) {
    it(`${JSON.stringify(options)}: ${input} → ${expected}`, () => {
      const once = normalize(input, options);
      assert.equal(once, expected);
      assert.equal(normalize(once, options), once);
    });
  }
});

describe('normalizePercentEncoding', () => {
  const cases: Array<[string, string]> = [
    ['%41%42%43', 'ABC'],
    ['%7e%7E', '~~'],
    ['%20%2f%2F%25', '%20%2F%2F%25'],
    ['%2541', '%2541'], // an escaped % stays escaped: no double decoding
    ['%', '%'],
    ['%4', '%4'],
    ['%g1', '%g1'],
    ['a%c3%a9', 'a%C3%A9'],
    ['plain', 'plain'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(normalizePercentEncoding(input), expected));
  }
});

describe('prepareUri', () => {
  it('gives the original, the normalized form, its hash and the rules version', () => {
    const prepared = prepareUri(' HTTP://Example.com:80/a/../b#x ', web);
    assert.ok(prepared.ok);
    assert.equal(prepared.original, ' HTTP://Example.com:80/a/../b#x ');
    assert.equal(prepared.normalized, 'http://example.com/b');
    assert.equal(prepared.hash, uriHash('http://example.com/b'));
    assert.match(prepared.hash, /^[0-9a-f]{64}$/);
    assert.equal(prepared.rulesVersion, URI_RULES_VERSION);
  });

  it('gives equal hashes to spellings of one URI and different hashes to different URIs', () => {
    const spellings = ['http://example.com/~a', 'HTTP://EXAMPLE.COM:80/%7Ea', 'http://example.com/x/../%7ea#frag'];
    const hashes = new Set(spellings.map((spelling) => (prepareUri(spelling, web) as { hash: string }).hash));
    assert.equal(hashes.size, 1);
    const other = prepareUri('http://example.com/~A', web);
    assert.ok(other.ok && !hashes.has(other.hash), 'path case matters');
  });

  it('says why a URI is rejected', () => {
    const prepared = prepareUri('ftp://x.example/', web);
    assert.deepEqual(prepared, { ok: false, original: 'ftp://x.example/', code: 'scheme_not_allowed', reason: 'scheme "ftp" is not allowed (allowed: http, https)' });
  });
});
