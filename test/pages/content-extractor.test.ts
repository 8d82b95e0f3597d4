import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createContentExtractor } from '../../domain/pages/content-extractor';
import { htmlToPlainText } from '../../domain/pages/html-text';
import { ExtractMethod, extractMainContent, FallbackReason } from '../../domain/pages/main-content';

const FIXTURES = join(__dirname, '..', 'fixtures', 'pages');
const article = readFileSync(join(FIXTURES, 'article-zh-wechat-article.html'), 'utf8');

/** A page of about `bytes`: an article followed by a long comment-like tail. */
function bigPage(bytes: number): string {
  const block = '<div class="c"><p>' + 'A reader writes a long reply about the article, and another one answers it. '.repeat(8) + '</p></div>';
  return article.replace('</body>', `${block.repeat(Math.ceil(bytes / block.length))}</body>`);
}

describe('content extractor (worker-thread pool with a time budget)', () => {
  // A budget no page here reaches, and one that a 3 MiB page always overruns (it takes seconds).
  const extractor = createContentExtractor({ threads: 1, timeoutMs: 60_000 });
  const hurried = createContentExtractor({ threads: 1, timeoutMs: 50 });
  after(() => Promise.all([extractor.close(), hurried.close()]));

  it('extracts in a thread what extractMainContent finds in process', async () => {
    const result = await extractor.extract(article);
    const inProcess = extractMainContent(article);
    assert.equal(result.method, ExtractMethod.Article);
    assert.equal(result.text, inProcess.text);
    assert.equal(result.title, inProcess.title);
    assert.ok(result.elapsedMs >= 0);
  });

  it('gives a page over its budget its full text, and the event loop stays free meanwhile', async () => {
    const html = bigPage(3 * 1024 * 1024);
    let timerFired = false;
    const timer = setTimeout(() => {
      timerFired = true;
    }, 20);
    const result = await hurried.extract(html);
    clearTimeout(timer);
    assert.ok(timerFired, 'a 20 ms timer fired while the page was being extracted');
    assert.equal(result.method, ExtractMethod.FullText);
    assert.equal(result.fallback, FallbackReason.Timeout);
    assert.equal(result.text, htmlToPlainText(html));
  });

  it('goes on after a timeout replaced its thread, and closes twice safely', async () => {
    const result = await hurried.extract('<html><body><p>short</p></body></html>');
    assert.equal(result.method, ExtractMethod.FullText);
    assert.equal(result.text, 'short');
    await hurried.close();
    await hurried.close();
  });
});
