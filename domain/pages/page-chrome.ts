import { SHOW_TEXT, TEXT_NODE, type DomElement, type DomNode } from './dom';
import { countTokens } from './text-tokens';

/**
 * Rules for the parts of a page around its article — "chrome" — that Readability keeps: it
 * scores where the article is, but leaves cookie and newsletter boxes it finds beside the
 * text, "most read" lists inside the chosen container, video-player labels, bylines and
 * editor lines. The rules work on the DOM (linkedom), before and after Readability, and use
 * only what holds across sites: the class and id names front-end code gives such boxes, the
 * share of link text, and a few labels Chinese news pages end every article with.
 */

/**
 * Class or id words that name chrome. Substrings, as in Readability's own lists; the short,
 * ambiguous words (`ad`, `meta`, `date`, `tags`, `video`…) must stand as a whole word of the
 * name (`post-meta`, `ad-slot`) so `header`, `shadow` or `metadata` never match.
 */
const CHROME_NAMES =
  /cookie|consent|gdpr|didomi|newsletter|subscri|signup|sign-up|paywall|regwall|promo|sponsor|advert|share|sharing|social|related|recommend|trending|popular|most-?read|most-?viewed|ranking|outbrain|taboola|comment|disqus|respond|byline|author-?bio|breadcrumb|pagination|pager|tag-?cloud|keyword|copyright|disclaimer|declare|statement|player|qr-?code|toolbar|rating|sidebar|widget|more-?from|twitter-tweet|instagram-media|tiktok-embed|footer|pull-?quote|disclos|call-to-action|signature|(?:^|[-_\s])(?:ad|ads|adv|meta|date|time|timestamp|tags?|tools|actions|credit|video|rail|editor|notice|login|cta)(?:$|[-_\s\d])/i;

/** Roles that mark a box as not the article (beyond the ones Readability drops itself). */
const CHROME_ROLES = new Set(['dialog', 'alertdialog', 'banner', 'contentinfo', 'navigation', 'complementary', 'search', 'menu', 'menubar']);

/** Elements never kept as text: controls, media and their fallback labels. */
const CONTROL_TAGS = new Set(['BUTTON', 'SELECT', 'TEXTAREA', 'INPUT', 'LABEL', 'SVG', 'CANVAS', 'VIDEO', 'AUDIO', 'IFRAME', 'OBJECT', 'EMBED', 'NOSCRIPT', 'TEMPLATE']);

/**
 * Lines that label the page rather than say anything: an editor's name, the source, a
 * statement or copyright notice, a "read also" link — a label and its separator at the start
 * of a short block — or an ad slot's label standing alone.
 */
const LABEL_PREFIX =
  /^[\s(（【[]*(?:责任编辑|责编|编辑|本文来源|文章来源|来源|原标题|[^\s:：]{0,6}声明|本文链接|转载请注明|read more|read also|see also|related|lire aussi|à lire aussi|voir aussi|関連記事|あわせて読みたい)\s*[:：|｜]/i;
const LABEL_ALONE = /^(?:advertisement|skip advertisement|sponsored|sponsored content|publicité|anzeige|广告|広告|광고)$/i;
const LABEL_MAX_CHARS = 200;

/** Text of a node with its whitespace collapsed. */
export function textOf(node: DomNode): string {
  return (node.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function nameOf(element: DomElement): string {
  return `${element.getAttribute('class') ?? ''} ${element.getAttribute('id') ?? ''}`;
}

/**
 * Pages that hide their article until a script shows it (WeChat's `#js_content` is
 * `visibility: hidden` until its script runs): without scripts it would stay hidden, and
 * Readability drops hidden nodes. Reveals a box hidden that way when it holds real text;
 * small hidden boxes (menus, pop-ups) stay hidden.
 */
export function revealScriptHiddenText(root: DomElement): void {
  for (const element of Array.from(root.querySelectorAll('[style]'))) {
    const style = element.getAttribute('style') ?? '';
    if (!/visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$)/i.test(style)) continue;
    if (countTokens(element.textContent ?? '') < 100) continue;
    element.setAttribute('style', style.replace(/visibility\s*:\s*hidden\s*;?|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$)/gi, ''));
  }
}

/**
 * Removes chrome boxes by name and role before Readability scores the page, so they can
 * neither win nor ride along as the article's siblings. A box is kept when it holds the
 * page's headline or most of its text: then it is a wrapper whose name says something about
 * a part of it (`post-with-sidebar`, `share-wrap`).
 */
export function removeChromeBoxes(body: DomElement): void {
  const bodyProse = proseChars(body);
  const removed = new Set<DomElement>();
  for (const element of Array.from(body.querySelectorAll('*'))) {
    if (CONTROL_TAGS.has(element.tagName)) {
      element.remove();
      continue;
    }
    if (!isChromeBox(element) || FRAME_TAGS.has(element.tagName)) continue;
    if (INLINE_TAGS.has(element.tagName) && !standsAlone(element)) continue;
    // A box inside one already removed goes with it: no need to measure it.
    if (hasAncestorIn(element, removed)) continue;
    if (element.querySelector('h1')) continue;
    if (proseChars(element) > bodyProse * 0.5) continue;
    element.remove();
    removed.add(element);
  }
}

/** Never removed by name: the page's frame. */
const FRAME_TAGS = new Set(['HTML', 'BODY', 'MAIN', 'ARTICLE']);
/**
 * Removed by name only when they stand alone: `<span class="date">` inside a sentence is a
 * word of the sentence, the same span alone in a byline box is chrome.
 */
const INLINE_TAGS = new Set(['SPAN', 'A', 'B', 'I', 'EM', 'STRONG', 'SMALL', 'FONT', 'TIME', 'ABBR', 'CITE', 'CODE', 'Q', 'MARK', 'U', 'S', 'SUB', 'SUP']);

function isChromeBox(element: DomElement): boolean {
  const role = element.getAttribute('role');
  if (role && CHROME_ROLES.has(role)) return true;
  if (element.getAttribute('aria-modal') === 'true') return true;
  return CHROME_NAMES.test(nameOf(element));
}

function hasAncestorIn(element: DomElement, set: Set<DomElement>): boolean {
  if (set.size === 0) return false;
  for (let node = element.parentNode; node; node = node.parentNode) if (set.has(node as DomElement)) return true;
  return false;
}

/** Characters of text outside links: what a wrapper of the article holds most of. */
function proseChars(element: DomElement): number {
  return textOf(element).length - linkedChars(element);
}

/**
 * Characters of text in links, as Readability counts them: links to elsewhere in full, links
 * within the page (`#…`, tables of contents, footnotes) at 0.3. An `<a>` without `href` is an
 * old-style anchor around a heading, not a link.
 */
function linkedChars(element: DomElement): number {
  let linked = 0;
  for (const link of Array.from(element.querySelectorAll('a[href]'))) {
    linked += textOf(link).length * ((link.getAttribute('href') ?? '').startsWith('#') ? 0.3 : 1);
  }
  return linked;
}

/** Share of an element's text that sits in links. */
export function linkDensity(element: DomElement): number {
  const chars = textOf(element).length;
  if (chars === 0) return 0;
  return Math.min(1, linkedChars(element) / chars);
}

const BLOCK_SELECTOR = 'p, div, section, ul, ol, li, dl, table, blockquote, figure, span, time, h2, h3, h4, h5, h6';
const HEADING = /^H[1-6]$/;

/**
 * Cleans the article Readability chose: lists and boxes made mostly of links ("most read",
 * "related stories" it kept), label lines, blocks that are only a date, a time or a count
 * (player timers, bylines' dates, like counters), and headings left with nothing under them.
 */
export function pruneArticle(article: DomElement): void {
  const total = textOf(article).length;
  for (const element of Array.from(article.querySelectorAll(BLOCK_SELECTOR))) {
    if (!article.contains(element) || element.closest('pre, code')) continue;
    const text = textOf(element);
    if (text === '') continue;
    const inline = element.tagName === 'SPAN' || element.tagName === 'TIME';
    if (!inline && element.querySelector('a[href]') && linkDensity(element) > 0.5 && text.length < total * 0.3) {
      element.remove();
    } else if (!standsAlone(element) || hasBlockChild(element)) {
      continue;
    } else if (text.length <= LABEL_MAX_CHARS && (LABEL_PREFIX.test(text) || LABEL_ALONE.test(text))) {
      element.remove();
    } else if (!HEADING.test(element.tagName) && element.tagName !== 'LI' && isOnlyNumbers(text)) {
      element.remove();
    }
  }
  removeOrphanHeadings(article);
}

/** No text beside it in its parent: a block of its own, not a word inside a sentence. */
function standsAlone(element: DomElement): boolean {
  for (const sibling of Array.from(element.parentNode?.childNodes ?? [])) {
    if (sibling.nodeType === TEXT_NODE && (sibling.textContent ?? '').trim() !== '') return false;
  }
  return true;
}

function hasBlockChild(element: DomElement): boolean {
  return element.querySelector('p, div, section, ul, ol, table, blockquote, h1, h2, h3, h4, h5, h6') !== null;
}

/**
 * A date, a time, a duration or a counter: digits, and beside them at most a few letters —
 * a month, a unit, a label ("May 12, 2024", "00:00 / 02:41", "2024年4月30日 17時45分",
 * "1.4K", "등록 2024-09-10"). A phone line keeps its words ("联系人：张科长，电话：…").
 */
function isOnlyNumbers(text: string): boolean {
  if (text.length > 40) return false;
  const digits = text.replace(/[^\d]/g, '').length;
  const letters = text.replace(/[\d\s\p{P}\p{S}]+/gu, '').length;
  return digits >= 2 && letters <= 6;
}

/** Headings whose next text in document order is another heading or the end: their section went. */
function removeOrphanHeadings(article: DomElement): void {
  const headings = Array.from(article.querySelectorAll('h1, h2, h3, h4, h5, h6'));
  for (let index = headings.length - 1; index >= 0; index--) {
    const heading = headings[index]!;
    const next = nextTextBlock(heading, article);
    if (next === null || HEADING.test(next.tagName)) heading.remove();
  }
}

/** The first element after `from` (outside it) that holds text of its own, within `root`. */
function nextTextBlock(from: DomElement, root: DomElement): DomElement | null {
  const document = root.ownerDocument;
  const walker = document.createTreeWalker(root, SHOW_TEXT);
  walker.currentNode = from;
  // Skip the heading's own text.
  let node: DomNode | null = walker.nextNode();
  while (node && from.contains(node)) node = walker.nextNode();
  for (; node; node = walker.nextNode()) {
    if ((node.textContent ?? '').trim() === '') continue;
    const parent = node.parentElement;
    if (!parent) continue;
    return parent.closest('h1, h2, h3, h4, h5, h6') ?? parent;
  }
  return null;
}

/**
 * The share of the article's tokens that sits in teaser items: three or more sibling
 * elements of one kind (`article`, `li`, `div`, `section`) that each hold a link and are each
 * short — a listing's entries, each a headline or a "continue reading" link with its excerpt.
 * An article's paragraphs are `p`s, and its blocks do not each carry a link.
 */
export function teaserShare(article: DomElement): number {
  const total = countTokens(textOf(article));
  if (total === 0) return 0;
  let best = 0;
  for (const parent of [article, ...Array.from(article.querySelectorAll('*'))]) {
    const groups = new Map<string, DomElement[]>();
    for (const child of Array.from(parent.children)) {
      if (!TEASER_TAGS.has(child.tagName)) continue;
      groups.set(child.tagName, [...(groups.get(child.tagName) ?? []), child]);
    }
    for (const items of groups.values()) {
      if (items.length < 3) continue;
      const sizes = items.map((item) => countTokens(textOf(item)));
      if (!items.every((item, index) => sizes[index]! <= MAX_TEASER_TOKENS && isTeaser(item))) continue;
      best = Math.max(best, sizes.reduce((sum, size) => sum + size, 0) / total);
    }
  }
  return best;
}

const TEASER_TAGS = new Set(['ARTICLE', 'LI', 'DIV', 'SECTION']);

/**
 * An entry of a listing links somewhere. An `article` or `li` entry needs only that (its
 * headline may have gone with its header); a `div` or `section` must be noticeably made of
 * links, so an article's body split into `div`s with a link here and there is not a listing.
 */
function isTeaser(item: DomElement): boolean {
  if (item.querySelector('a[href]') === null) return false;
  return item.tagName === 'ARTICLE' || item.tagName === 'LI' || linkDensity(item) >= 0.15;
}
const MAX_TEASER_TOKENS = 80;

/**
 * How many headings of the article are links: teaser headlines. An article's subheadings are
 * not links; a listing page's items are headline links, whatever else each item holds.
 */
export function linkedHeadings(article: DomElement): number {
  let count = 0;
  for (const heading of Array.from(article.querySelectorAll('h1, h2, h3, h4, h5, h6'))) {
    if (heading.closest('a[href]') || linkDensity(heading) >= 0.5) count++;
  }
  return count;
}
