import { compile } from 'html-to-text';

/** Elements html-to-text would otherwise run into their neighbours' words ("Image sourceWaves"). */
const BLOCKS = ['figure', 'figcaption', 'dl', 'dt', 'dd', 'address', 'details', 'summary', 'center', 'caption', 'fieldset', 'legend'];
/** Controls and embeds: their labels and fallback text are never the page's text. */
const SKIPPED = ['img', 'script', 'style', 'noscript', 'nav', 'template', 'svg', 'button', 'select', 'textarea', 'iframe', 'object'];

const convert = compile({
  wordwrap: false,
  preserveNewlines: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    ...SKIPPED.map((selector) => ({ selector, format: 'skip' })),
    ...BLOCKS.map((selector) => ({ selector, format: 'block' })),
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
});

/**
 * HTML → pure text (the seed's get_pure_text_from_html), with html-to-text: scripts, styles,
 * images, navigation and form controls dropped, links kept as their text, no line wrapping.
 * The converter is compiled once: compiling the selectors costs more than converting a page.
 */
export function htmlToPlainText(html: string): string {
  return convert(html)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
