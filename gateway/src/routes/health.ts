/**
 * The gateway's `GET /healthz` and `GET /readyz`: it is ready once the supergraph is loaded and every
 * subgraph in it answers its own `/readyz`.
 */

import { healthRoutes } from '@care-graph/service-kit';
import type { Express } from 'express';

/** Health routes over `subgraphUrls` (name → GraphQL URL), which fills in as the gateway loads the supergraph. */
export function gatewayHealthRoutes(app: Express, subgraphUrls: ReadonlyMap<string, string>): void {
  healthRoutes(app, 'gateway', () => [
    ...[...subgraphUrls].map(([name, url]) => ({
      name,
      async check() {
        const response = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(2000) });
        if (!response.ok) throw new Error(`${name} /readyz answered ${response.status}`);
      },
    })),
    {
      name: 'supergraph',
      async check() {
        if (subgraphUrls.size === 0) throw new Error('supergraph not loaded');
      },
    },
  ]);
}
