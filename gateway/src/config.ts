/** Gateway settings from the environment (README, "Configuration"). */
import { DEFAULT_PORTS, dataDir, envPrefix, SUBGRAPHS } from '@care-graph/service-kit';
import type { GatewayOptions } from './gateway';

/** The gateway's options from `env`; a subgraph without `<NAME>_URL` keeps the routing URL of the supergraph. */
export function gatewayOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayOptions {
  const port = Number(env.PORT ?? env.GATEWAY_PORT ?? DEFAULT_PORTS.gateway);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be an integer between 0 and 65535; got "${env.PORT}".`);
  const subgraphUrls: Record<string, string> = {};
  for (const name of SUBGRAPHS) {
    const url = env[`${envPrefix(name)}_URL`];
    if (url) subgraphUrls[name] = url;
  }
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    dataDir: dataDir(env),
    supergraphPath: env.SUPERGRAPH_PATH,
    subgraphUrls,
    env,
  };
}
