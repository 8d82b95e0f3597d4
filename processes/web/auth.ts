import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { format } from '../../infra/i18n/i18n';

/** The configured token, or a random one for this process (then printed with the page's URL). */
export function resolveToken(configured: string | undefined): { token: string; generated: boolean } {
  if (configured !== undefined && configured !== '') return { token: configured, generated: false };
  return { token: randomBytes(24).toString('base64url'), generated: true };
}

/** An onRequest hook that wants `Authorization: Bearer <token>`; compares in constant time. */
export function requireToken(token: string) {
  const expected = Buffer.from(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({ error: 'unauthorized', message: format(request.locale, 'errors.unauthorized') });
    }
    return undefined;
  };
}
