import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { htmlToPlainText } from '../../domain/pages/html-text';
import { ExtractMethod, extractMainContent, FallbackReason } from '../../domain/pages/main-content';
import { tokenOverlap, type Overlap } from '../../support/token-overlap';

/**
 * The fixture set (test/fixtures/pages/README.md): `article-*` and `thread-*` pages with the
 * main text a reader would keep in `<name>.expected.txt`, and `listing-*` pages that have no
 * article. Token precision and recall against the expected text; the full text
 * (`htmlToPlainText`, what `content` held before) is measured beside it.
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'pages');
const pages = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.html'))
  .sort()
  .map((file) => {
    const name = file.replace(/\.html$/, '');
    const html = readFileSync(join(FIXTURES, file), 'utf8');
    const kind = name.split('-')[0] as 'article' | 'thread' | 'listing';
    const expected = kind === 'listing' ? '' : readFileSync(join(FIXTURES, `${name}.expected.txt`), 'utf8');
    return { name, html, kind, expected, extracted: extractMainContent(html) };
  });
const articles = pages.filter((page) => page.kind === 'article');

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function describeScores(label: string, scores: Overlap[]): string {
  return `${label}: precision ${mean(scores.map((s) => s.precision)).toFixed(3)}, recall ${mean(scores.map((s) => s.recall)).toFixed(3)}`;
}

describe('main-content extraction on the fixture set', () => {
  it('has a fixture set shaped like the web: ≥ 40 pages, articles in several languages, threads and listings', () => {
    assert.ok(pages.length >= 40, `${pages.length} pages`);
    assert.ok(articles.length >= 30);
    assert.ok(pages.some((page) => page.kind === 'thread'));
    assert.ok(pages.filter((page) => page.kind === 'listing').length >= 8);
    for (const language of ['en', 'zh', 'ja', 'fr']) {
      assert.ok(articles.filter((page) => page.name.startsWith(`article-${language}-`)).length >= 3, language);
    }
  });

  it('article pages: mean token precision ≥ 0.95 at mean recall ≥ 0.98, well above the full text', (context) => {
    const scores = articles.map((page) => tokenOverlap(page.extracted.text, page.expected));
    const baseline = articles.map((page) => tokenOverlap(htmlToPlainText(page.html), page.expected));
    context.diagnostic(describeScores('full text (before)', baseline));
    context.diagnostic(describeScores('main content (after)', scores));
    assert.ok(mean(scores.map((s) => s.precision)) >= 0.95, describeScores('main content', scores));
    assert.ok(mean(scores.map((s) => s.recall)) >= 0.98, describeScores('main content', scores));
    assert.ok(mean(baseline.map((s) => s.precision)) < 0.8, 'the fixtures carry real chrome');
  });

  it('no article page loses its body, and each is extracted as an article', () => {
    for (const page of articles) {
      const { recall, precision } = tokenOverlap(page.extracted.text, page.expected);
      assert.ok(recall >= 0.85, `${page.name}: recall ${recall.toFixed(2)}`);
      assert.equal(page.extracted.method, ExtractMethod.Article, `${page.name}: fell back (${page.extracted.fallback})`);
      assert.ok(precision >= 0.8, `${page.name}: precision ${precision.toFixed(2)}`);
    }
  });

  it('keeps the headline: the title is the page heading, and the text opens with it', () => {
    for (const page of articles) {
      const heading = page.expected.split('\n')[0]!.trim();
      assert.equal(page.extracted.title, heading, page.name);
      const opening = page.extracted.text.split('\n').slice(0, 2).join(' ');
      assert.ok(opening.includes(heading), `${page.name} opens with its headline: ${JSON.stringify(opening.slice(0, 120))}`);
    }
  });

  it('threads keep every post', () => {
    for (const page of pages.filter((candidate) => candidate.kind === 'thread')) {
      const { recall } = tokenOverlap(page.extracted.text, page.expected);
      assert.ok(recall >= 0.98, `${page.name}: recall ${recall.toFixed(2)}`);
    }
  });

  it('listing, home, search and shop pages fall back to the full text', () => {
    for (const page of pages.filter((candidate) => candidate.kind === 'listing')) {
      assert.equal(page.extracted.method, ExtractMethod.FullText, page.name);
      assert.ok(page.extracted.fallback, page.name);
      assert.equal(page.extracted.text, htmlToPlainText(page.html), page.name);
    }
  });
});

describe('main-content extraction on pages that are hardly pages', () => {
  it('falls back to the full text, and never throws', () => {
    for (const html of ['', 'plain text, no markup at all', '<html><body></body></html>', '<div><p>short</p>', '\u0000\u0001<<<>>>']) {
      const extracted = extractMainContent(html);
      assert.equal(extracted.method, ExtractMethod.FullText, JSON.stringify(html));
      assert.equal(extracted.text, htmlToPlainText(html));
    }
  });

  it('a short note is too short to be an article', () => {
    const extracted = extractMainContent('<html><head><title>Note</title></head><body><article><h1>Note</h1><p>The office is closed on Monday, back on Tuesday.</p></article></body></html>');
    assert.equal(extracted.fallback, FallbackReason.TooShort);
  });

  it('an article hidden until a script shows it (WeChat js_content) is still read', () => {
    const body = '<p>' + '这是一段需要脚本显示的正文内容，没有脚本时它是隐藏的。'.repeat(6) + '</p>';
    const html = `<html><body><h1>标题</h1><div id="js_content" style="visibility: hidden;">${body}${body}</div><div class="qr_code">扫码关注</div></body></html>`;
    const extracted = extractMainContent(html);
    assert.equal(extracted.method, ExtractMethod.Article);
    assert.match(extracted.text, /没有脚本时它是隐藏的/);
    assert.doesNotMatch(extracted.text, /扫码关注/);
  });
});
