/**
 * The public entry: Apollo Server over @apollo/gateway on one port.
 *
 * The request path stays plain; each cross-cutting concern is a seam of its own: authentication in the
 * context function (`auth.ts`), the signed identity on every subgraph call (`subgraph-client.ts`) and
 * error masking as a server plugin (`error-masking.ts`).
 */
// Apollo's anonymous usage telemetry leaves the machine with schema details: off unless an operator opts in.
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginUsageReportingDisabled, ApolloServerPluginSchemaReportingDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import {
  InternalAuth, createLogger, createTokenVerifier, express, healthRoutes, repoRoot, serve, type Logger, type RunningServer,
} from '@care-graph/service-kit';
import { authenticate, type GatewayContext } from './auth';
import { errorMasking } from './error-masking';
import { SignedIdentityDataSource } from './subgraph-client';
import { rosterUploadRoute } from './roster-upload';

export interface GatewayOptions {
  port: number;
  host: string;
  dataDir: string;
  /** Supergraph SDL file; default `schema/supergraph.graphql`. */
  supergraphPath?: string;
  /** Subgraph URLs by name, overriding the routing URLs in the supergraph. */
  subgraphUrls?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export type RunningGateway = RunningServer;

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger('gateway', env);
  const supergraphSdl = await readFile(options.supergraphPath ?? path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8');
  const internalAuth = await InternalAuth.fromEnv(env, options.dataDir);
  const verifier = await createTokenVerifier(env, options.dataDir);
  const subgraphUrls = new Map<string, string>();

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const resolved = options.subgraphUrls?.[name] ?? url!;
      subgraphUrls.set(name, resolved);
      return new SignedIdentityDataSource({ url: resolved, internalAuth });
    },
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      errorMasking(logger),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
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
  rosterUploadRoute(app, { verifier, internalAuth, popHealthUrl: () => subgraphUrls.get('pop-health') });
  app.use(
    '/graphql',
    express.json({ limit: '32mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 100) : randomUUID();
        return { identity: await authenticate(verifier, req.headers.authorization), requestId };
      },
    }),
  );
  return serve(app, options.port, options.host, logger, () => apollo.stop());
}
