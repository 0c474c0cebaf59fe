/**
 * The supergraph the gateway serves, read from its file and read again when the file changes
 * (`SUPERGRAPH_POLL_MS`, README "Configuration"): a new composition is served without a restart, over HTTP and
 * for new subscriptions alike. A file that does not hold a valid supergraph is logged and ignored: the last
 * good one goes on being served. Live subscriptions are carried: each keeps the plan and the upstream
 * subscription it started with (a subscription's owning subgraph and joins are fixed when it starts).
 */
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Supergraph } from '@apollo/federation-internals';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '@care-graph/service-kit';
import type { GraphQLSchema } from 'graphql';

/** The API schema of a supergraph (what clients see: no join directives, no internal types). */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

export interface SupergraphSourceOptions {
  path: string;
  /** How often the file is checked, in ms; 0: never (the first SDL is served until a restart). */
  pollMs: number;
  /** Builds what else depends on an SDL (the subscriptions); throws when the SDL is not a valid supergraph. */
  prepare(sdl: string): void;
  logger: Logger;
}

/**
 * Reads `options.path` and follows it (see the file's comment); the result is ApolloGateway's `supergraphSdl`
 * hook: the first SDL, then its updates.
 */
export async function supergraphSource(options: SupergraphSourceOptions): Promise<SupergraphSdlHook> {
  let sdl = await readFile(options.path, 'utf8');
  options.prepare(sdl);
  return async ({ update }) => {
    if (options.pollMs <= 0) return { supergraphSdl: sdl };
    let reading = false;
    const check = async () => {
      if (reading) return;
      reading = true;
      try {
        const next = await readFile(options.path, 'utf8');
        if (next === sdl) return;
        // Both or neither: the subscriptions' planner first (it throws on an invalid supergraph), then Apollo's.
        options.prepare(next);
        update(next);
        sdl = next;
        options.logger.info('supergraph updated', { path: options.path, bytes: next.length });
      } catch (error) {
        options.prepare(sdl);
        options.logger.error('supergraph file not served: it is not a valid supergraph; the previous one still is', {
          path: options.path,
          message: (error as Error).message.split('\n')[0],
        });
      } finally {
        reading = false;
      }
    };
    const listener = () => void check();
    watchFile(options.path, { interval: options.pollMs, persistent: false }, listener);
    return { supergraphSdl: sdl, cleanup: async () => unwatchFile(options.path, listener) };
  };
}
