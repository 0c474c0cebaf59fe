/**
 * Builds every subgraph's schema in-process (no server, no database), prints its SDL and composes the
 * supergraph with @apollo/composition. `npm run compose` writes the results to `schema/` (and the role table into
 * the README); the drift test fails when the checked-in files differ from what the code produces.
 */
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { accessTableOf, DEFAULT_PORTS, SUBGRAPHS, type SubgraphName } from '@care-graph/service-kit';
import { GraphQLObjectType, GraphQLSchema, parse, printSchema } from 'graphql';
import { apiSchemaOf } from '../gateway/src/supergraph-source';
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
  /** schema/api.graphql: the API schema clients generate code from, without the service-only fields. */
  apiSdl: string;
  /** The README's role table, printed from the subgraphs' access declarations (see `roleTable`). */
  roleTable: string;
}

/** Fields whose description starts so are Care Graph's own service-to-service calls, not the public API. */
const SERVICE_ONLY = /^Service only\b/;

/** Where the role table sits in the README: `npm run compose` rewrites what is between these lines. */
export const ROLE_TABLE_MARKERS = ['<!-- role-table:start (npm run compose writes this table) -->', '<!-- role-table:end -->'] as const;

const OPERATION_ORDER = { Query: 0, Mutation: 1, Subscription: 2 } as const;

/**
 * The role table: every root field with the roles its `@Authorized` names, and every entity with what its access
 * rule lets a partner token see through joins — read from the declarations (service-kit's access-table.ts), so
 * it cannot differ from what the services enforce. Admin may use everything; a partner token only ever sees its
 * own partner's records.
 */
export function roleTable(schemas: { name: SubgraphName; schema: GraphQLSchema }[]): string {
  const fields = schemas
    .flatMap(({ name, schema }) => accessTableOf(schema).fields.map((field) => ({ ...field, service: name })))
    .sort((a, b) => OPERATION_ORDER[a.operation] - OPERATION_ORDER[b.operation] || a.field.localeCompare(b.field));
  const anyone = (roles: readonly string[], role: string) => roles.length === 0 || roles.includes(role);
  const lines = [
    '| Root field | Service | admin | partner | service | In `schema/api.graphql` |',
    '|---|---|---|---|---|---|',
    ...fields.map(
      (f) =>
        `| \`${f.operation}.${f.field}\` | ${f.service} | yes | ${anyone(f.roles, 'partner') ? "its own partner's" : '—'} | ${anyone(f.roles, 'service') ? 'yes' : '—'} | ${SERVICE_ONLY.test(f.description ?? '') ? 'no (service only)' : 'yes'} |`,
    ),
    '',
    '| Entity (resolved for joins, `_entities`) | Service | admin, service | partner |',
    '|---|---|---|---|',
    ...schemas
      .flatMap(({ name, schema }) => accessTableOf(schema).entities.map((entity) => ({ ...entity, service: name })))
      .sort((a, b) => a.type.localeCompare(b.type) || a.service.localeCompare(b.service))
      .map((e) => `| \`${e.type}\` | ${e.service} | every record | ${e.partnerSees} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `readme` with its role table replaced by `table`; throws if the README lost its markers. */
export function withRoleTable(readme: string, table: string): string {
  const [start, end] = ROLE_TABLE_MARKERS;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md must hold the role table between "${start}" and "${end}".`);
  return `${readme.slice(0, from + start.length)}\n${table}${readme.slice(to)}`;
}

/**
 * The published API schema: what the gateway serves, less the service-only fields and the types only they use.
 * Partner integrators generate their clients from it (introspection is off for partner tokens in production).
 */
export function publishedApiSdl(supergraphSdl: string): string {
  const api = apiSchemaOf(supergraphSdl);
  const publicRoot = (type: GraphQLObjectType | null | undefined) => {
    if (!type) return undefined;
    const config = type.toConfig();
    const fields = Object.fromEntries(Object.entries(config.fields).filter(([, field]) => !SERVICE_ONLY.test(field.description ?? '')));
    return new GraphQLObjectType({ ...config, fields });
  };
  // A schema built from its root types holds exactly the types they reach: those only service fields used are gone.
  const published = new GraphQLSchema({
    query: publicRoot(api.getQueryType()),
    mutation: publicRoot(api.getMutationType()),
    subscription: publicRoot(api.getSubscriptionType()),
    directives: api.getDirectives(),
  });
  return `# Care Graph's public API schema (generated by npm run compose from schema/supergraph.graphql; do not edit).\n${printSchema(published)}\n`;
}

export async function composeSupergraph(): Promise<Composition> {
  const schemas = [];
  for (const name of SUBGRAPHS) schemas.push({ name, schema: await BUILDERS[name]() });
  const subgraphs = schemas.map(({ name, schema }) => ({ name, sdl: `${printSubgraphSchema(schema)}\n` }));
  const result = composeServices(
    subgraphs.map(({ name, sdl }) => ({ name, url: `http://localhost:${DEFAULT_PORTS[name]}/graphql`, typeDefs: parse(sdl) })),
  );
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  const supergraphSdl = `${result.supergraphSdl}\n`;
  return { subgraphs, supergraphSdl, apiSdl: publishedApiSdl(supergraphSdl), roleTable: roleTable(schemas) };
}
