import { IntlMessageFormat } from 'intl-messageformat';
import Negotiator from 'negotiator';
import { EN, ZH_CN, type MessageKey } from './catalogues';

export type { MessageKey } from './catalogues';

/** The locales crawlflow speaks; English is the default and the reference catalogue. */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export const CATALOGUES: Readonly<Record<Locale, Readonly<Record<string, string>>>> = { en: EN, 'zh-CN': ZH_CN };

/**
 * A value a placeholder can take: `{name}`, `{count, plural, …}`, `{when, date}`, or another
 * {@link Message}, said in the same locale (a reason inside a sentence).
 */
export type MessageValue = string | number | Date | Message;
export type MessageParams = Readonly<Record<string, MessageValue>>;

/**
 * Something to say, not yet said in a language: a catalogue key and its values. Domain code
 * returns these (in errors, receipt lines) and whoever knows the reader's locale formats them.
 */
export interface Message {
  key: MessageKey;
  params?: MessageParams;
}

export function message(key: MessageKey, params?: MessageParams): Message {
  return params === undefined ? { key } : { key, params };
}

export function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && typeof (value as Message).key === 'string' && (value as Message).key in EN;
}

/** A locale named by a user or a setting ("zh", "zh-cn", "en-GB", "zh-Hans-CN"), or undefined if crawlflow has none for it. */
export function parseLocale(value: string | null | undefined): Locale | undefined {
  const primary = value?.trim().toLowerCase().split(/[-_]/)[0];
  if (primary === 'zh') return 'zh-CN';
  if (primary === 'en') return 'en';
  return undefined;
}

/**
 * The locale for an `Accept-Language` header: the first of its languages (by q-value, as
 * `negotiator` orders them) that crawlflow speaks, else English. Any Chinese gets zh-CN,
 * any English en: the catalogues have one of each.
 */
export function negotiateLocale(acceptLanguage: string | string[] | undefined): Locale {
  if (acceptLanguage === undefined || acceptLanguage === '') return DEFAULT_LOCALE;
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : acceptLanguage;
  for (const language of new Negotiator({ headers: { 'accept-language': header } }).languages()) {
    const locale = parseLocale(language);
    if (locale) return locale;
  }
  return DEFAULT_LOCALE;
}

const compiled = new Map<string, IntlMessageFormat>();

function compiledMessage(locale: Locale, key: MessageKey): IntlMessageFormat {
  const id = `${locale}\u0000${key}`;
  let format = compiled.get(id);
  if (!format) {
    const source = CATALOGUES[locale][key] ?? EN[key];
    if (source === undefined) throw new Error(`no message "${key}" in the ${locale} catalogue`);
    format = new IntlMessageFormat(source, locale, undefined, { ignoreTag: true });
    compiled.set(id, format);
  }
  return format;
}

/**
 * The message of `key` in `locale`, placeholders filled. Tags in messages (`<b>…</b>`) are left
 * as text here: the page gives them meaning (processes/web/public/i18n.js); server text is plain.
 */
export function format(locale: Locale, key: MessageKey, params?: MessageParams): string {
  return String(compiledMessage(locale, key).format(params && said(locale, params)));
}

function said(locale: Locale, params: MessageParams): Record<string, string | number | Date> {
  const values: Record<string, string | number | Date> = {};
  for (const [name, value] of Object.entries(params)) values[name] = isMessage(value) ? format(locale, value.key, value.params) : value;
  return values;
}

/** A {@link Message} (or an already-written string, kept as it is) in `locale`. */
export function translate(locale: Locale, text: Message | string): string {
  return typeof text === 'string' ? text : format(locale, text.key, text.params);
}

/** Formatting bound to one locale: `t('page.title')`, `t.message(error.detail)`. */
export function translator(locale: Locale) {
  const t = (key: MessageKey, params?: MessageParams): string => format(locale, key, params);
  return Object.assign(t, { locale, message: (text: Message | string) => translate(locale, text) });
}

export type Translator = ReturnType<typeof translator>;
