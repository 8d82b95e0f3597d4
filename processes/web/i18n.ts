import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CATALOGUES, LOCALES, negotiateLocale, parseLocale, translator, type Locale, type Translator } from '../../infra/i18n/i18n';

declare module 'fastify' {
  interface FastifyRequest {
    /** The reader's locale: the request's `Accept-Language` (the page sends the one its switch chose). */
    locale: Locale;
  }
}

/** Formatting in the request's locale: `t(request)('errors.unknown_job', { job })`. */
export function t(request: FastifyRequest): Translator {
  return translator(request.locale);
}

/** The browser build of intl-messageformat, served to the page as it is (no build step). */
const FORMATTER_SCRIPT = require.resolve('intl-messageformat/intl-messageformat.iife.js');

/**
 * Locales on the server and for the page: every request gets `request.locale` from its
 * `Accept-Language`; `GET /i18n/messages.json` gives the page its catalogue — the one named by
 * `?locale=` (the page's switch), else the one the browser's `Accept-Language` asks for;
 * `GET /i18n/intl-messageformat.js` the formatter. Neither needs the token: the token dialog
 * is translated too, and catalogues are no secret.
 */
export function registerI18n(app: FastifyInstance): void {
  app.decorateRequest('locale', 'en');
  app.addHook('onRequest', async (request) => {
    request.locale = negotiateLocale(request.headers['accept-language']);
  });
  const script = readFileSync(FORMATTER_SCRIPT, 'utf8').replace(/\/\/# sourceMappingURL=.*\s*$/, '');
  app.get('/i18n/intl-messageformat.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(script),
  );
  app.get<{ Querystring: { locale?: string } }>('/i18n/messages.json', async (request, reply) => {
    const asked = request.query.locale;
    const locale = asked ? parseLocale(asked) : request.locale;
    if (!locale) {
      return reply.code(400).send({ error: 'bad_locale', message: t(request)('errors.bad_locale', { locale: asked ?? '', locales: LOCALES.join(', ') }) });
    }
    return reply.header('vary', 'accept-language').send({ locale, locales: LOCALES, messages: CATALOGUES[locale] });
  });
}
