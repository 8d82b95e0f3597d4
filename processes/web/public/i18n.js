// The page's strings: the catalogue of one locale from /i18n/messages.json, formatted with
// intl-messageformat (ICU plurals and selects). The locale is the switch's choice (kept in
// localStorage), else the one the server picked from the browser's Accept-Language.
// Everything lands in the page as text: values are never parsed as markup, and a message's own
// tags (<code>…</code>) become elements only through rich().
'use strict';

const i18n = (() => {
  const STORAGE_KEY = 'crawlflow-locale';
  const { IntlMessageFormat } = window.IntlMessageFormat;
  let locale = 'en';
  let messages = {};
  let compiled = new Map();
  const listeners = [];

  function compile(key, withTags) {
    const id = `${withTags ? 'rich' : 'text'}:${key}`;
    let format = compiled.get(id);
    if (!format) {
      const source = messages[key];
      if (source === undefined) return null;
      format = new IntlMessageFormat(source, locale, undefined, { ignoreTag: !withTags });
      compiled.set(id, format);
    }
    return format;
  }

  const isMessage = (value) => value !== null && typeof value === 'object' && !(value instanceof Date) && typeof value.key === 'string';
  /** Values as the formatter takes them: a nested server Message ({ key, params }) said first. */
  function values(params) {
    if (!params) return params;
    const out = {};
    for (const [name, value] of Object.entries(params)) out[name] = isMessage(value) ? t(value.key, value.params) : value;
    return out;
  }

  /** The message of `key`, as text; the key itself when the catalogue lacks it (the catalogue test forbids that). */
  function t(key, params) {
    const format = compile(key, false);
    return format ? String(format.format(values(params))) : key;
  }

  /**
   * A message with tags, as nodes: `rich('page.token.help', {}, { code: (text) => el('code', {}, text) })`.
   * Tag functions get the enclosed parts (strings, already text) and return a node.
   */
  function rich(key, params = {}, tags = {}) {
    const format = compile(key, true);
    if (!format) return [key];
    const parts = format.format({ ...values(params), ...tags });
    return (Array.isArray(parts) ? parts : [parts]).flat();
  }

  /** A server Message (`{ key, params }`, e.g. a receipt line's reasonMessage) or a plain string. */
  function message(value) {
    if (isMessage(value) && messages[value.key] !== undefined) return t(value.key, value.params);
    return value === undefined || value === null ? '' : String(value);
  }

  /**
   * Static text in the HTML: data-i18n="key" sets textContent; data-i18n-placeholder,
   * data-i18n-aria-label and data-i18n-title set those attributes.
   */
  function apply(root = document) {
    for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const [attribute, data] of [['placeholder', 'i18nPlaceholder'], ['aria-label', 'i18nAriaLabel'], ['title', 'i18nTitle']]) {
      const selector = `[data-${data.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}]`;
      for (const node of root.querySelectorAll(selector)) node.setAttribute(attribute, t(node.dataset[data]));
    }
    document.documentElement.lang = locale;
    document.title = t('page.title');
  }

  async function load(wanted) {
    const query = wanted ? `?locale=${encodeURIComponent(wanted)}` : '';
    const response = await fetch(`/i18n/messages.json${query}`);
    if (!response.ok) throw new Error(`the ${wanted || 'browser'} catalogue did not load (HTTP ${response.status})`);
    const body = await response.json();
    locale = body.locale;
    messages = body.messages;
    compiled = new Map();
    apply();
  }

  /** The switch: load the catalogue, remember the choice, tell the page to draw itself again. */
  async function setLocale(wanted) {
    await load(wanted);
    localStorage.setItem(STORAGE_KEY, locale);
    for (const listener of listeners) await listener(locale);
  }

  const dateFormats = new Map();
  /** A date and time in the page's locale. */
  function when(iso) {
    if (!iso) return '';
    if (!dateFormats.has(locale)) dateFormats.set(locale, new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }));
    return dateFormats.get(locale).format(new Date(iso));
  }

  const ready = load(localStorage.getItem(STORAGE_KEY) || '').catch(() => load('en'));

  return {
    ready,
    t,
    rich,
    message,
    apply,
    when,
    setLocale,
    onChange: (listener) => listeners.push(listener),
    get locale() {
      return locale;
    },
  };
})();
