/**
 * Builds every subgraph's schema in-process (no server, no database), prints its SDL and composes the
 * supergraph with @apollo/composition. `npm run compose` writes the results to `schema/`; the drift test
 * fails when the checked-in files differ from what the code produces.
 */
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { DEFAULT_PORTS, SUBGRAPHS, type SubgraphName } from '@care-graph/service-kit';
import { type GraphQLSchema, parse } from 'graphql';
import { buildCareRequestsSchema } from '../subgraphs/care-requests/src';
import { buildPartnersSchema } from '../subgraphs/partners/src';
import { buildPopHealthSchema } from '../subgraphs/pop-health/src';

export const SCHEMA_DIR = path.join(__dirname, '..', 'schema');

const BUILDERS: Record<SubgraphName, () => Promise<GraphQLSchema>> = {
  'care-requests': buildCareRequestsSchema,
  'pop-health': buildPopHealthSchema,
  partners: buildPartnersSchema,
};

export interface Composition {
  subgraphs: { name: SubgraphName; sdl: string }[];
  supergraphSdl: string;
}

export async function composeSupergraph(): Promise<Composition> {
  const subgraphs = [];
  for (const name of SUBGRAPHS) subgraphs.push({ name, sdl: `${printSubgraphSchema(await BUILDERS[name]())}\n` });
  const result = composeServices(
    subgraphs.map(({ name, sdl }) => ({ name, url: `http://localhost:${DEFAULT_PORTS[name]}/graphql`, typeDefs: parse(sdl) })),
  );
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return { subgraphs, supergraphSdl: `${result.supergraphSdl}\n` };
}
