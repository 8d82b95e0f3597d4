import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import iconv from 'iconv-lite';
import { CharsetSource, decodeHtmlPage } from '../../domain/pages/decode-html';

/** A page in `encoding` (iconv-lite), with an optional declaration in its head. */
function page(body: string, encoding: string, head = ''): Buffer {
  return iconv.encode(`<!doctype html><html><head>${head}<title>t</title></head><body>${body}</body></html>`, encoding);
}

const CHINESE = '<p>中国人民银行今天宣布下调存款准备金率，市场普遍认为这将释放长期资金约一万亿元。</p>';
const TRADITIONAL = '<p>臺灣的經濟部今天發表聲明，表示半導體產業的出口訂單持續成長。</p>';
const JAPANESE = '<p>東京都は今日、新しい防災計画を発表しました。地震への備えを強化します。</p>';
const KOREAN = '<p>서울시는 오늘 새로운 교통 정책을 발표했습니다. 대중교통 요금이 조정됩니다.</p>';

function text(html: string): string {
  return /<body>(.*)<\/body>/s.exec(html)?.[1] ?? html;
}

describe('decodeHtmlPage: WHATWG sniffing order, UTF-8 over a contradicted legacy declaration', () => {
  describe('each legacy CJK encoding, declared the ways pages declare it', () => {
    const cases = [
      { name: 'GBK under <meta charset=gb2312>', bytes: page(CHINESE, 'gbk', '<meta charset="gb2312">'), body: CHINESE, encoding: 'GBK' },
      { name: 'Big5 under <meta http-equiv>', bytes: page(TRADITIONAL, 'big5', '<meta http-equiv="Content-Type" content="text/html; charset=big5">'), body: TRADITIONAL, encoding: 'Big5' },
      { name: 'Shift_JIS under <meta charset=shift_jis>', bytes: page(JAPANESE, 'shift_jis', "<meta charset='Shift_JIS'>"), body: JAPANESE, encoding: 'Shift_JIS' },
      { name: 'EUC-KR under <meta charset=euc-kr>', bytes: page(KOREAN, 'euc-kr', '<meta charset=euc-kr>'), body: KOREAN, encoding: 'EUC-KR' },
    ];
    for (const { name, bytes, body, encoding } of cases) {
      it(name, () => {
        const decoded = decodeHtmlPage(bytes, 'text/html');
        assert.equal(text(decoded.html), body);
        assert.equal(decoded.encoding, encoding);
        assert.equal(decoded.source, CharsetSource.Meta);
      });
    }
  });

  it('decodes a gbk label as GB18030: four-byte sequences survive', () => {
    const body = '<p>𠀀字与€符号</p>';
    const decoded = decodeHtmlPage(page(body, 'gb18030', '<meta charset="gbk">'), undefined);
    assert.equal(text(decoded.html), body);
  });

  it('a BOM beats the header and the meta', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), page(CHINESE, 'utf-8', '<meta charset="gbk">')]);
    const decoded = decodeHtmlPage(bytes, 'text/html; charset=big5');
    assert.equal(decoded.source, CharsetSource.Bom);
    assert.equal(text(decoded.html), CHINESE);
    assert.ok(!decoded.html.startsWith('\uFEFF'), 'the BOM is not part of the text');

    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(`<html><body>${JAPANESE}</body></html>`, 'utf-16le')]);
    const wide = decodeHtmlPage(utf16, 'text/html; charset=shift_jis');
    assert.equal(wide.encoding, 'UTF-16LE');
    assert.equal(text(wide.html), JAPANESE);
  });

  it('the HTTP header beats the meta', () => {
    const decoded = decodeHtmlPage(page(TRADITIONAL, 'big5', '<meta charset="gb2312">'), 'text/html; charset="Big5"');
    assert.equal(decoded.source, CharsetSource.Header);
    assert.equal(decoded.encoding, 'Big5');
    assert.equal(text(decoded.html), TRADITIONAL);
  });

  it('an unknown header label counts as none: the meta decides', () => {
    const decoded = decodeHtmlPage(page(CHINESE, 'gbk', '<meta charset="gbk">'), 'text/html; charset=no-such-charset');
    assert.equal(decoded.source, CharsetSource.Meta);
    assert.equal(text(decoded.html), CHINESE);
  });

  it('a meta after the first 1,024 bytes still counts', () => {
    const comment = `<!-- ${'build info '.repeat(200)} -->`;
    const decoded = decodeHtmlPage(page(JAPANESE, 'shift_jis', `${comment}<meta charset="shift_jis">`), 'text/html');
    assert.equal(decoded.source, CharsetSource.Meta);
    assert.equal(text(decoded.html), JAPANESE);
  });

  describe('a legacy declaration contradicted by valid UTF-8 bytes loses to UTF-8', () => {
    it('a stale <meta charset=gb2312> over a page re-encoded to UTF-8', () => {
      const decoded = decodeHtmlPage(page(CHINESE, 'utf-8', '<meta charset="gb2312">'), 'text/html');
      assert.equal(decoded.source, CharsetSource.Utf8Bytes);
      assert.equal(decoded.encoding, 'UTF-8');
      assert.equal(decoded.declared, 'GBK');
      assert.equal(text(decoded.html), CHINESE);
    });

    it('a stale header charset, Shift_JIS and EUC-KR too', () => {
      for (const [label, body] of [['shift_jis', JAPANESE], ['euc-kr', KOREAN], ['big5', TRADITIONAL]] as const) {
        const decoded = decodeHtmlPage(page(body, 'utf-8'), `text/html; charset=${label}`);
        assert.equal(decoded.source, CharsetSource.Utf8Bytes, label);
        assert.equal(text(decoded.html), body, label);
      }
    });

    it('even when the body was cut inside a multi-byte character', () => {
      const whole = page(CHINESE, 'utf-8', '<meta charset="gb2312">');
      const cut = whole.subarray(0, whole.indexOf(Buffer.from('银')) + 1);
      const decoded = decodeHtmlPage(cut, undefined);
      assert.equal(decoded.source, CharsetSource.Utf8Bytes);
      assert.match(decoded.html, /中国人民\uFFFD$/);
    });

    it('but a declaration the bytes agree with stands: legacy bytes, or plain ASCII', () => {
      const latin = decodeHtmlPage(page('<p>café crème, 5 €</p>', 'windows-1252', '<meta charset="iso-8859-1">'), undefined);
      assert.equal(latin.source, CharsetSource.Meta);
      assert.equal(latin.encoding, 'windows-1252', 'iso-8859-1 decodes as windows-1252 (WHATWG)');
      assert.equal(text(latin.html), '<p>café crème, 5 €</p>');

      const ascii = decodeHtmlPage(page('<p>plain</p>', 'ascii', '<meta charset="gbk">'), undefined);
      assert.equal(ascii.source, CharsetSource.Meta);
      assert.equal(ascii.encoding, 'GBK');
    });
  });

  describe('nothing declared', () => {
    it('valid UTF-8 is UTF-8', () => {
      const decoded = decodeHtmlPage(page(KOREAN, 'utf-8'), 'text/html');
      assert.equal(decoded.source, CharsetSource.Utf8Default);
      assert.equal(text(decoded.html), KOREAN);
    });

    it('other bytes: the detector guesses the legacy encoding', () => {
      const long = CHINESE.repeat(3) + '<p>国务院常务会议研究部署进一步扩大内需的政策措施，要求各地加快项目建设进度，稳定就业和物价。</p>';
      const decoded = decodeHtmlPage(page(long, 'gb18030'), undefined);
      assert.equal(decoded.source, CharsetSource.Detected);
      assert.equal(decoded.encoding, 'gb18030');
      assert.equal(text(decoded.html), long);
    });
  });
});
