import type { FastifyInstance } from 'fastify';
import type { OverviewSource } from '../../domain/metrics/overview';

/** The monitoring panel's data: one snapshot, refreshed by the page every few seconds. */
export function registerOverviewRoutes(app: FastifyInstance, { overview }: { overview: OverviewSource }): void {
  app.get('/api/overview', async () => overview.snapshot());
}
