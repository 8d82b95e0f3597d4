import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uriHash } from '../../domain/uris/hash';
import { normalizePercentEncoding, normalizeUrl, URI_RULES_VERSION, type NormalizeOptions } from '../../domain/uris/normalize';
import { prepareUri } from '../../domain/uris/prepare';
import { redactUserinfo } from '../../domain/uris/redact';
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
    ['http://exa mple.com/', UriRejection.Whitespace, /whitespace \(a space\) at character 11/],
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
    // Hosts WHATWG lets through that no DNS name or IP address can be.
    ['http://./', UriRejection.BadHost, /host "\." has an empty label/],
    ['http://../', UriRejection.BadHost, /empty label/],
    ['http://a../', UriRejection.BadHost, /host "a\.\." has an empty label/],
    ['http://%2e/', UriRejection.BadHost, /empty label/],
    ['http://license.{curly}.com/', UriRejection.BadHost, /host "license\.\{curly\}\.com" has "\{", which no domain name or IP address can have/],
    ['http://google.com&d=4&good=true', UriRejection.BadHost, /has "&".*is the "\/\?" before the query missing/],
    ['http://!"$&\'()*+,-.;=_`{}~/', UriRejection.BadHost, /has "!"/],
    ['http://a~b.com/', UriRejection.BadHost, /has "~"/],
    [`http://${'a'.repeat(64)}.com/`, UriRejection.BadHost, /a label of 64 characters; DNS allows at most 63/],
    [`http://${Array(64).fill('abc').join('.')}/`, UriRejection.BadHost, /255 characters long; DNS allows at most 253/],
    ['foo://Host{x}/', UriRejection.SchemeNotAllowed, /"foo"/],
    ['http://x:0/', UriRejection.BadPort, /port 0/],
    ['http://x:00/', UriRejection.BadPort, /port 0/],
    ['http://x:65536/', UriRejection.Unparsable, /bad port|not a valid/],
    // Whitespace the WHATWG parser would keep and encode: refused at the ends as inside.
    ['http://x.com/a\u00A0', UriRejection.Whitespace, /whitespace \(a no-break space, U\+00A0\) at character 15/],
    ['\u3000http://x.com/', UriRejection.Whitespace, /whitespace \(an ideographic space, U\+3000\) at character 1/],
    ['http://x.com/\u2028', UriRejection.Whitespace, /whitespace \(a line separator, U\+2028\)/],
    ['\uFEFFhttp://x.com/', UriRejection.Whitespace, /an invisible formatting character \(a byte order mark, U\+FEFF\)/],
    ['http://x.com/a\u3000b', UriRejection.Whitespace, /ideographic space/],
    ['http://exa\u200Bmple.com/', UriRejection.Whitespace, /an invisible formatting character \(a zero-width space, U\+200B\)/], // WHATWG would silently delete it
    ['http://exa\u00ADmple.com/', UriRejection.Whitespace, /a soft hyphen, U\+00AD/],
    ['http://x.com/\u202Eevil', UriRejection.Whitespace, /an invisible formatting character \(U\+202E\)/],
    ['http://x.com/\u0085', UriRejection.Whitespace, /U\+0085/],
    ['http://x.com/a\tb', UriRejection.Whitespace, /whitespace \(a tab\) at character 15/],
    ['http://x.com/a#frag http://y.com/b', UriRejection.Whitespace, /whitespace \(a space\) at character 20 followed by another URI: one URI per line/],
    ['\u00A0\u3000', UriRejection.Empty, /empty/],
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

  it('strips only the padding WHATWG strips: C0 controls and spaces at the ends', () => {
    for (const padded of ['\t http://x.com/a \r\n', '\u0000http://x.com/a\u001F', '  http://x.com/a']) {
      const result = validateUri(padded, web);
      assert.ok(result.ok, JSON.stringify(padded));
      assert.equal(result.trimmed, 'http://x.com/a');
    }
  });

  it('does not check a fragment the job drops, and checks one it keeps', () => {
    for (const input of ['http://x.com/a#b c', 'http://x.com/a#b\u00A0c', 'http://x.com/a#see mailto:me@x.com', 'http://x.com/a#\u200B']) {
      assert.equal(prepareUri(input, web).ok && (prepareUri(input, web) as { normalized: string }).normalized, 'http://x.com/a', JSON.stringify(input));
      const kept = validateUri(input, { ...web, keepFragment: true });
      assert.ok(!kept.ok && kept.code === UriRejection.Whitespace, `${JSON.stringify(input)} with keepFragment`);
    }
  });

  it('accepts the hosts real names and addresses have', () => {
    for (const input of ['http://a_b.example.com/', 'http://-x-.example/', 'http://localhost/', `http://${'a'.repeat(63)}.com/`, 'http://[::1]/', 'http://127.0.0.1/', 'http://1.2.3.4./', 'http://x:65535/', 'http://例子.测试/', `http://${Array(63).fill('abc').join('.')}.a/`]) {
      const result = validateUri(input, web);
      assert.ok(result.ok, `${input}: ${result.ok ? '' : result.reason}`);
    }
  });

  it('never accepts what the WHATWG parser rejects (cases in the spirit of the web-platform-tests URL data)', () => {
    const inputs = [
      'http://[www.example.com]/', 'http://192.168.0.257/', 'http://[::1.2.3.]/', 'http://[1::2::3]/', 'http://%zz%66%a.com/',
      'http://%25/', 'http://hello%00/', 'http://0..0x300/', 'http://0xffffffff1/', 'https://x x:12/', 'http://a:b@/www.example.com',
      'http://user@/www.example.com', 'http://a<b/', 'http://a>b/', 'http://a^b/', 'http://a|b/', 'http://[/', 'http://]/', 'http://1.2.3.4.5/',
      'http://foo.09/', 'http://x:65536/', 'http://x:-1/', 'http://x:1.5/', 'http://xn--/', 'http://a.b.c.xn--pokxncvks/', 'http://%ef%bc%85%ef%bc%94%ef%bc%91.com/',
      'http://\uFDD0zyx.com/', 'http://\u00ADexample\u00AD.com'.replace(/\u00AD/g, '%C2%AD'), 'http://ｘｎ--/',
    ];
    for (const input of inputs) {
      let parses = true;
      try {
        new URL(input);
      } catch {
        parses = false;
      }
      const result = validateUri(input, web);
      if (!parses) assert.ok(!result.ok, `${input} is rejected by WHATWG and here`);
      else assert.ok(!result.ok || result.url.href === new URL(input).href, input);
    }
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
    ['decode escapes that do not overlap', 'http://foo.com/%66oo.ht%6d%6c', 'http://foo.com/foo.html'],
    ['keep escaped high octets and controls', 'http://foo.com/%66oo.htm%c0%1a', 'http://foo.com/foo.htm%C0%1A'],
    ['never make an escape out of a bare % and escaped hex digits', 'http://x/%%35%32', 'http://x/%%352'],
    ['… nor out of a bare %H and an escaped digit (one spelling: the first digit escaped)', 'http://x/%5%32', 'http://x/%%352'],
    ['… nor out of a bare % and digits of which one was escaped', 'http://x/%%352', 'http://x/%%352'],
    ['an escaped % stays escaped', 'http://x/%%32%35/%25', 'http://x/%%325/%25'],
    ['escape what a URI may not hold, in the path', 'http://x/a|b^c[d]', 'http://x/a%7Cb%5Ec%5Bd%5D'],
    ['… and in the query', 'http://x/?a={b}&c=[d]|^\\`', 'http://x/?a=%7Bb%7D&c=%5Bd%5D%7C%5E%5C%60'],
    ['keep the reserved characters of a query', "http://x/?a=b&c=d;e,f:g@h/i?j!$'()*+", "http://x/?a=b&c=d;e,f:g@h/i?j!$%27()*+"],
    ["keep an apostrophe in the path (WHATWG escapes it only in the query)", "http://x/it's", "http://x/it's"],
    ['drop the host\'s trailing dot', 'http://Example.COM./a', 'http://example.com/a'],
    ['IPv4 with a trailing dot (WHATWG)', 'http://1.2.3.4./', 'http://1.2.3.4/'],
    ['drop userinfo', 'http://User:PW@Example.com/', 'http://example.com/'],
    ['drop userinfo up to the last @', 'http://a@b@c.com/x@y', 'http://c.com/x@y'],
    ['encode non-ASCII path and query as UTF-8', 'http://example.com/你?q=好', 'http://example.com/%E4%BD%A0?q=%E5%A5%BD'],
    ['UTF-8 escapes upper-cased', 'http://example.com/%e4%bd%a0', 'http://example.com/%E4%BD%A0'],
    ['percent-encoded host decoded', 'http://%65xample.com/', 'http://example.com/'],
    ['drop the fragment', 'http://example.com/a#section-2', 'http://example.com/a'],
    ['drop an empty query', 'http://example.com/a?', 'http://example.com/a'],
    ['keep query order and +', 'http://example.com/?b=2&a=1+1', 'http://example.com/?b=2&a=1+1'],
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
    assert.equal(normalize('http://example.com/a#b#c{d}', { keepFragment: true }), 'http://example.com/a#b%23c%7Bd%7D');
  });

  it('gives one key to each spelling of one resource, and distinct keys to distinct ones', () => {
    const key = (input: string) => (prepareUri(input, web) as { hash: string }).hash;
    const same: string[][] = [
      ['http://x/?a={b}', 'http://x/?a=%7Bb%7D', 'http://x/?a=%7bb%7d'],
      ['http://x/a[1]', 'http://x/a%5B1%5D', 'http://x/a%5b1%5D'],
      ['http://x/?q=a|b', 'http://x/?q=a%7Cb'],
      ['http://x/?q=\\', 'http://x/?q=%5C'],
      ['http://x/?q=`', 'http://x/?q=%60'],
      ['http://example.com./', 'http://example.com/', 'http://EXAMPLE.com.:80/'],
      ['http://u:p@x.com/a', 'http://x.com/a', 'http://other@x.com/a'],
      ['http://x/%%35%32', 'http://x/%%352', 'http://x/%5%32'],
    ];
    for (const spellings of same) assert.equal(new Set(spellings.map(key)).size, 1, spellings.join(' '));
    const distinct: string[][] = [
      ['http://x/%%32%35', 'http://x/%25', 'http://x/%', 'http://x/%%25'],
      ['http://x/%%35%32', 'http://x/R', 'http://x/%R', 'http://x/%25R', 'http://x/%2552'],
      ['http://x/a%2Fb', 'http://x/a/b'],
      ['http://x/?a=%26', 'http://x/?a=&'],
      ['http://x/?a=%3D', 'http://x/?a=='],
      ['http://x/it%27s', "http://x/it's"],
    ];
    for (const uris of distinct) assert.equal(new Set(uris.map(key)).size, uris.length, uris.join(' '));
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
    [{ stripSessionIds: true }, 'http://e.com/a/..;jsessionid=1/b', 'http://e.com/b'],
    [{ stripSessionIds: true }, 'http://e.com/a/%2e;jsessionid=1/b', 'http://e.com/a/b'],
    [{ dropTrackingParams: true }, 'http://e.com/?utm%5Fsource=x&a=1', 'http://e.com/?a=1'],
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
    ['%%35%32', '%%352'],
    ['%%32%35', '%%325'],
    ['%5%32', '%%352'],
    ['%%%41', '%%A'],
    ['%%41', '%A'], // one hex digit after a bare % makes no escape
    ['%%41B', '%%41B'],
    ['%%4142', '%%4142'],
    ['%%4%31', '%%%341'],
    ['{|}', '%7B%7C%7D'],
    ['é', '%C3%A9'],
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
    assert.deepEqual(prepared, {
      ok: false,
      original: 'ftp://x.example/',
      code: 'scheme_not_allowed',
      reason: 'scheme "ftp" is not allowed (allowed: http, https)',
      reasonMessage: { key: 'receipt.uri.scheme_not_allowed', params: { scheme: 'ftp', allowed: 'http, https' } },
    });
  });
});

describe('redactUserinfo', () => {
  const cases: Array<[string, string]> = [
    ['http://user:pass@x.com/a', 'http://***@x.com/a'],
    ['HTTPS://u@X.com', 'HTTPS://***@X.com'],
    ['  http://a@b@c.com/p@q?r@s#t@u', '  http://***@c.com/p@q?r@s#t@u'],
    ['http:u:p@x.com/', 'http:***@x.com/'], // WHATWG reads this as http://u:p@x.com/
    ['http:\\\\u:p@x.com\\p', 'http:\\\\***@x.com\\p'],
    ['http://u:p@', 'http://***@'], // does not parse, still redacted
    ['foo://u@h/x', 'foo://***@h/x'],
    ['http://x.com/a@b', 'http://x.com/a@b'],
    ['http://x.com?a@b', 'http://x.com?a@b'],
    ['mailto:me@x.com', 'mailto:me@x.com'], // no authority: not userinfo
    ['not a uri @ all', 'not a uri @ all'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(redactUserinfo(input), expected));
  }

  it('redacts exactly what the WHATWG parser takes for userinfo', () => {
    for (const [input] of cases) {
      let url: URL;
      try {
        url = new URL(input.trim());
      } catch {
        continue;
      }
      const redacted = new URL(redactUserinfo(input).trim());
      assert.equal(redacted.host, url.host, input);
      assert.equal(redacted.pathname + redacted.search + redacted.hash, url.pathname + url.search + url.hash, input);
      if (url.username || url.password) assert.equal(redacted.username, '***', input);
    }
  });
});
