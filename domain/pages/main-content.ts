import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { DomDocument, DomElement } from './dom';
import { htmlToPlainText } from './html-text';
import { linkDensity, linkedHeadings, pruneArticle, removeChromeBoxes, revealScriptHiddenText, teaserShare, textOf } from './page-chrome';
import { bagSize, countTokens, sharedTokens, tokenBag } from './text-tokens';

/** Which text `content` holds. */
export const ExtractMethod = {
  /** The article alone, found by Readability and cleaned of chrome. */
  Article: 'article',
  /** All of the page's text (`htmlToPlainText`), as before main-content extraction. */
  FullText: 'full_text',
} as const;
export type ExtractMethod = (typeof ExtractMethod)[keyof typeof ExtractMethod];

/** Why a page got its full text rather than an article. */
export const FallbackReason = {
  /** Readability found no article. */
  NoArticle: 'no_article',
  /** What it found is a list of teasers or links: a home, section, search or shop page. */
  Listing: 'listing',
  /** What it found is too short to be the page's article. */
  TooShort: 'too_short',
  /** What it found leaves out most of the page's prose: it chose the wrong box. */
  MissedProse: 'missed_prose',
  /** Extraction threw. */
  Failed: 'failed',
  /** Extraction took longer than its budget (EXTRACT_TIMEOUT_MS). */
  Timeout: 'timeout',
} as const;
export type FallbackReason = (typeof FallbackReason)[keyof typeof FallbackReason];

export interface ExtractedContent {
  method: ExtractMethod;
  /** The page's headline: its `<h1>` or the part of its `<title>` the page repeats. */
  title: string | undefined;
  text: string;
  /** Set when {@link method} is `full_text`. */
  fallback?: FallbackReason;
}

/**
 * Thresholds of the article/not-article decision. They describe pages, not one site: an
 * article has at least a paragraph's worth of text, holds most of the page's prose, and its
 * text is mostly not links.
 */
const MIN_ARTICLE_TOKENS = 50;
const MIN_PROSE_COVERAGE = 0.5;
const MAX_ARTICLE_LINK_DENSITY = 0.5;
const MAX_LINKED_HEADINGS = 2;
const MAX_TEASER_SHARE = 0.5;
/**
 * Readability retries with looser rules when its result is shorter than this many
 * characters (its default is 500). CJK text says in one character what Latin text says in a
 * word of about three: the same threshold in characters would send every short Chinese,
 * Japanese or Korean article through the loose retries, which keep page footers.
 */
const CHAR_THRESHOLD = { latin: 500, cjk: 200 };
/** A block counts as prose when it has this many tokens and few of its characters are links. */
const PROSE_BLOCK_TOKENS = 20;

/**
 * The page's main text: for an article, the article alone (Readability on a linkedom
 * document, cleaned of the chrome it keeps) with its headline first; for anything else — a
 * home, section, search or shop page, a result too short or missing most of the page's prose —
 * the full text, as before. Synchronous and CPU-bound: run it off the event loop
 * (`createContentExtractor`).
 */
export function extractMainContent(html: string): ExtractedContent {
  let title: string | undefined;
  try {
    const document = parseHTML(withoutCode(html)).document as unknown as DomDocument;
    const body = document.body;
    if (!body) return fullText(html, undefined, FallbackReason.NoArticle);
    title = headline(document);
    revealScriptHiddenText(body);
    removeChromeBoxes(body);
    const prose = proseBag(body);
    // The serializer hands back the article element itself, so it can be cleaned in place.
    const charThreshold = isMostlyCjk(body) ? CHAR_THRESHOLD.cjk : CHAR_THRESHOLD.latin;
    const parsed = new Readability(document as never, { charThreshold, serializer: (element: unknown) => element } as never).parse();
    const article = parsed?.content as unknown as DomElement | string | undefined;
    if (!article || typeof article === 'string') return fullText(html, title ?? parsed?.title ?? undefined, FallbackReason.NoArticle);
    title ??= parsed?.title?.trim() || undefined;
    // Judged before cleaning: the cleaning removes link lists, which is what a listing is.
    if (linkDensity(article) > MAX_ARTICLE_LINK_DENSITY || linkedHeadings(article) > MAX_LINKED_HEADINGS || teaserShare(article) > MAX_TEASER_SHARE) {
      return fullText(html, title, FallbackReason.Listing);
    }
    pruneArticle(article);
    const text = htmlToPlainText(article.innerHTML);
    if (countTokens(text) < MIN_ARTICLE_TOKENS) return fullText(html, title, FallbackReason.TooShort);
    if (coverage(prose, text) < MIN_PROSE_COVERAGE) return fullText(html, title, FallbackReason.MissedProse);
    return { method: ExtractMethod.Article, title, text: withHeadline(text, title) };
  } catch {
    return fullText(html, title, FallbackReason.Failed);
  }
}

/**
 * Scripts, styles, inline SVG and comments hold no text a reader sees, and are most of the
 * bytes of a big page (framework state, bundled CSS): cut before parsing, the DOM is smaller
 * and quicker to build. The tokenizer ends a script at the first `</script`, as this does.
 */
function withoutCode(html: string): string {
  return html.replace(/<script\b[\s\S]*?<\/script\s*>|<style\b[\s\S]*?<\/style\s*>|<svg\b[\s\S]*?<\/svg\s*>|<template\b[\s\S]*?<\/template\s*>|<!--[\s\S]*?-->/gi, '');
}

/** The page's full text, the fallback. */
export function fullText(html: string, title: string | undefined, fallback: FallbackReason): ExtractedContent {
  return { method: ExtractMethod.FullText, title, text: htmlToPlainText(html), fallback };
}

/**
 * The headline. Pages title themselves "Headline - Site" or "Headline_Section_Site", and put
 * the headline in an `<h1>` — as does the site name, on some. So: the longest `<h1>` that the
 * `<title>` (or og:title) contains; else the longest part of the title the body repeats.
 */
function headline(document: DomDocument): string | undefined {
  const declared = [
    document.querySelector('meta[property="og:title"]')?.getAttribute('content'),
    document.querySelector('title')?.textContent,
  ]
    .map((value) => (value ?? '').replace(/\s+/g, ' ').trim())
    .filter((value) => value !== '');
  const squeeze = (value: string) => value.replace(/\s+/g, '').toLowerCase();
  const headings = Array.from(document.querySelectorAll('h1'))
    .map((heading) => textOf(heading))
    .filter((text) => text.length >= 2 && text.length <= 300)
    .sort((a, b) => b.length - a.length);
  for (const heading of headings) {
    if (declared.some((value) => squeeze(value).includes(squeeze(heading)))) return heading;
  }
  const bodyText = squeeze(document.body?.textContent ?? '');
  const parts = declared
    .flatMap((value) => [value, ...value.split(/\s+[|\-–—·»:]\s+|[_|｜]/)])
    .map((part) => part.trim())
    .filter((part) => part.length >= 4)
    .sort((a, b) => b.length - a.length);
  return parts.find((part) => bodyText.includes(squeeze(part))) ?? headings[0];
}

function withHeadline(text: string, title: string | undefined): string {
  if (!title) return text;
  const squeeze = (value: string) => value.replace(/\s+/g, '');
  return squeeze(text.slice(0, title.length * 3 + 200)).includes(squeeze(title)) ? text : `${title}\n\n${text}`;
}

/**
 * The tokens of the page's prose: blocks of a paragraph's length that are mostly not links,
 * counted once each (the innermost block that qualifies). Taken before Readability runs, to
 * check afterwards that the article it chose holds most of it.
 */
function proseBag(body: DomElement): Map<string, number> {
  const bag = new Map<string, number>();
  for (const block of Array.from(body.querySelectorAll('p, pre, td, li, blockquote, div, section, article'))) {
    if (block.querySelector('p, pre, td, li, blockquote, div, section, article')) continue;
    const text = textOf(block);
    if (countTokens(text) < PROSE_BLOCK_TOKENS || linkDensity(block) > 0.3) continue;
    for (const [token, count] of tokenBag(text)) bag.set(token, (bag.get(token) ?? 0) + count);
  }
  return bag;
}

function isMostlyCjk(body: DomElement): boolean {
  const text = textOf(body);
  const cjk = text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu)?.length ?? 0;
  const latin = text.match(/\p{Script=Latin}/gu)?.length ?? 0;
  return cjk > latin;
}

function coverage(prose: Map<string, number>, text: string): number {
  const size = bagSize(prose);
  return size === 0 ? 1 : sharedTokens(prose, tokenBag(text)) / size;
}
