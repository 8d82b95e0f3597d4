import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { OverviewSource } from '../../../domain/monitoring/overview';

/** The monitoring panel's data: one snapshot, refreshed by the page every few seconds. */
export function registerOverviewRoutes(app: FastifyInstance, { overview }: { overview: OverviewSource }): void {
  app.get('/api/overview', async () => overview.snapshot());
}

/** uPlot (the panel's chart), served from node_modules: the page loads nothing from elsewhere. */
const VENDOR = {
  'uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
} as const;

export function registerVendorRoutes(app: FastifyInstance): void {
  for (const [name, { file, type }] of Object.entries(VENDOR)) {
    const body = readFileSync(file, 'utf8').replace(/\/\/# sourceMappingURL=.*\s*$/, '');
    app.get(`/vendor/${name}`, async (_request, reply) => reply.type(type).header('cache-control', 'public, max-age=3600').send(body));
  }
}
