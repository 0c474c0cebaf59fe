/**
 * The public entry: Apollo Server over @apollo/gateway on one port. This file only wires the parts.
 *
 * The request path stays plain; each cross-cutting concern is a seam of its own: authentication, rate limits
 * and body limits before any GraphQL work (`admission.ts`, `rate-limits/`), request deadlines (service-kit's
 * `requestDeadline`), the request id (service-kit's `requestIdOf`, shared with every service),
 * the signed identity on every subgraph call (`subgraph-client.ts`), error masking
 * (`plugins/error-masking.ts`), operation limits (`plugins/operation-limits.ts`), Apollo's reporting turned off (`plugins/telemetry.ts`), and subscriptions
 * over graphql-ws and over SSE on the same port and path (`subscriptions/`). Routes other than `/graphql` live in `routes/`,
 * among them the admin dashboard and the GraphQL IDE (`routes/admin.ts`).
 */
import path from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import {
  cancellationPlugin,
  createLogger,
  createTokenVerifier,
  express,
  InternalAuth,
  integerSetting,
  internalHeaders,
  type Logger,
  type RunningServer,
  repoRoot,
  requestDeadline,
  requestIdOf,
  requestTarget,
  requestTimeoutMs,
  requireProductionSettings,
  serve,
  serviceClient,
} from '@care-graph/service-kit';
import { admittedIdentity, bodyLimits, graphqlAdmission } from './admission';
import { AuditLog, auditSettings } from './audit/audit-log';
import type { GatewayContext } from './auth';
import { auditedContext, auditPlugin } from './plugins/audit';
import { errorMasking } from './plugins/error-masking';
import { limitSettings, operationLimitsPlugin } from './plugins/operation-limits';
import { telemetryDisabled } from './plugins/telemetry';
import { rateLimitsFromEnv } from './rate-limits/rate-limits';
import { adminPages, adminPagesSettings } from './routes/admin';
import { gatewayHealthRoutes } from './routes/health';
import { rosterUploadRoute } from './routes/roster-upload';
import { SignedIdentityDataSource } from './subgraph-client';
import { type FederatedSubscriptions, federatedSubscriptions } from './subscriptions/federated-subscriptions';
import { IdentityConnections, subscriptionLimits } from './subscriptions/limits';
import { sseEndpoint } from './subscriptions/sse-endpoint';
import { serveSubscriptionEndpoint } from './subscriptions/ws-endpoint';
import { supergraphSource } from './supergraph-source';

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

/**
 * Starts the gateway on `options.port` (0: a free port); it serves once the returned promise resolves. In
 * production mode it refuses first unless the environment names the identity provider and the internal secret.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  requireProductionSettings('gateway', env);
  const logger = options.logger ?? createLogger('gateway', env);
  const internalAuth = await InternalAuth.fromEnv(env, options.dataDir);
  const limits = subscriptionLimits(env);
  const operationLimits = limitSettings(env);
  // WebSockets and SSE streams count together against CONNECTIONS_PER_IDENTITY.
  const connections = new IdentityConnections(limits.perIdentity);
  const verifier = await createTokenVerifier(env, options.dataDir);
  const pages = adminPagesSettings(env);
  const sizes = bodyLimits(env);
  const rateLimits = await rateLimitsFromEnv(env, logger);
  const subgraphUrls = new Map<string, string>();
  const audit = new AuditLog({
    callService: serviceClient({ name: 'gateway', internalAuth, serviceUrl: (name) => subgraphUrls.get(name) ?? name }).forRequest,
    settings: auditSettings(env),
    logger,
  });

  const telemetryPlugins = telemetryDisabled(); // before the ApolloGateway, which reads the setting when constructed
  const subgraphUrl = (name: string, url: string | undefined) => options.subgraphUrls?.[name] ?? url!;
  const stateFields = new Set(
    (env.SUBSCRIPTION_STATE_FIELDS ?? 'backfillProgress')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
  const subscriptionsOf = (supergraphSdl: string) =>
    federatedSubscriptions({
      supergraphSdl,
      subgraphUrl,
      dataSource: (name, url) => new SignedIdentityDataSource({ name, url, internalAuth }),
      connectionParams: ({ identity, requestId }, subgraph) =>
        internalHeaders(internalAuth, identity, requestId, { service: subgraph.name, use: 'ws', target: requestTarget(subgraph.url) }),
      bufferSize: limits.buffer,
      stateFields,
      logger,
    });
  let subscriptions: FederatedSubscriptions | undefined;
  const supergraphSdl = await supergraphSource({
    path: options.supergraphPath ?? path.join(repoRoot, 'schema', 'supergraph.graphql'),
    pollMs: integerSetting(env, 'SUPERGRAPH_POLL_MS', 2_000, 0, 3_600_000),
    prepare: (sdl) => {
      subscriptions = subscriptionsOf(sdl);
    },
    logger,
  });
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const resolved = subgraphUrl(name, url);
      subgraphUrls.set(name, resolved);
      return new SignedIdentityDataSource({ name, url: resolved, internalAuth });
    },
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    includeStacktraceInErrorResponses: false,
    // Who may introspect is the operation rules' decision (INTROSPECTION_ROLES), per role, not Apollo's per process.
    introspection: true,
    // main.ts owns SIGINT/SIGTERM (HTTP server first, then Apollo, then exit 0): Apollo's own handler would stop it
    // behind the HTTP server's back and re-raise the signal, so the gateway never exited cleanly.
    stopOnTerminationSignals: false,
    // The parser stops at the largest tokens limit of any role: a huge document is refused while it is read.
    parseOptions: { maxTokens: operationLimits.maxTokens },
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ...telemetryPlugins,
      operationLimitsPlugin(operationLimits),
      cancellationPlugin(),
      auditPlugin(audit),
      errorMasking(logger),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  gatewayHealthRoutes(app, subgraphUrls);
  rosterUploadRoute(app, {
    verifier,
    internalAuth,
    popHealthUrl: () => subgraphUrls.get('pop-health'),
    rateLimits,
    bodyLimit: sizes.rosters,
    audit,
  });
  adminPages(app, { settings: pages, dataDir: options.dataDir, env, logger });
  app.use(
    '/graphql',
    graphqlAdmission({ verifier, rateLimits, bodyLimits: sizes, trustProxy: audit.settings.trustProxy }),
    sseEndpoint({
      verifier,
      connections,
      subscriptions: () => subscriptions!,
      operationLimits,
      apollo,
      logger,
      audit,
    }),
    // After the SSE endpoint: a subscription's stream outlives any request deadline.
    requestDeadline({ timeoutMs: requestTimeoutMs(env), logger }),
    expressMiddleware(apollo, {
      context: auditedContext(
        audit,
        { schema: () => subscriptions?.apiSchema, maxTokens: operationLimits.maxTokens },
        async ({ req, res }) => ({
          identity: admittedIdentity(res),
          requestId: requestIdOf(req.headers),
        }),
      ),
    }),
  );
  return serve(
    app,
    options.port,
    options.host,
    logger,
    async () => {
      await apollo.stop();
      await rateLimits.close();
    },
    (server) =>
      serveSubscriptionEndpoint(server, {
        verifier,
        limits,
        operationLimits,
        rateLimits,
        connections,
        subscriptions: () => subscriptions!,
        apollo,
        logger,
        audit,
      }),
  );
}
