/**
 * Builds a Federation v2 subgraph schema from type-graphql resolvers: type-graphql prints the SDL with its
 * directives, @apollo/subgraph turns it into a subgraph (`_service`, `_entities`), and the resolvers come
 * back through type-graphql's resolvers map, with each entity's `__resolveReference` added.
 */
import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { TEXT_LIMITS, textFault } from '@care-graph/limits';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLFieldResolver, type GraphQLSchema, getNamedType, isObjectType } from 'graphql';
import gql from 'graphql-tag';
import { type BuildSchemaOptions, buildSchema, createResolversMap } from 'type-graphql';
import { roleAuthChecker } from '../auth/roles';
import { recordAccessTable, rootFieldAccess } from './access-table';
import { argumentGuard } from './argument-guard';
import { assertEveryEntityGuarded, type EntityReference } from './entity-access';
import type { RequestContext } from './request-context';
import { metaOf } from './resource-types';
import { DateTimeScalar } from './scalars';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides"])';

/**
 * type-graphql wants a pub/sub for any schema with subscriptions, for `@Subscription({ topics })`. Ours
 * subscribe with `subscribe` on the service's event bus (`ctx.events`, shared by its instances) instead, as
 * a process-wide pub/sub would not reach the other instances: this one says so if a topic is ever used.
 */
const NO_TOPICS = {
  publish() {
    throw new Error("Publish on the event bus (ctx.events), not on type-graphql's pubSub.");
  },
  subscribe() {
    throw new Error('Subscribe with `subscribe` on the event bus (ctx.events), not with `topics`.');
  },
} as unknown as NonNullable<BuildSchemaOptions['pubSub']>;

/** Each resolvable entity's reference resolver with its access rule (`entityReference`), by type name. */
export type ReferenceResolvers<Context extends RequestContext = RequestContext> = Record<string, EntityReference<Context>>;

/**
 * The subgraph schema of `options.resolvers`: role checks by `roleAuthChecker`, every text argument held to
 * the text rule (`argumentGuard`; `selfCheckedArguments` lists the `Type.field.argument…` paths whose
 * resolver checks them item by item), `meta` resolved for every resource, and `referenceResolvers` as the
 * entities' `__resolveReference` (typed by the subgraph's context; each applies its access rule, so
 * `_entities` answers what the entity's root field would, and a reference whose id no record can have
 * resolves to null).
 */
export async function buildFederatedSchema<Context extends RequestContext = RequestContext>(
  options: Omit<BuildSchemaOptions, 'skipCheck'>,
  referenceResolvers: ReferenceResolvers<Context> = {},
  selfCheckedArguments: readonly string[] = [],
): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    authChecker: roleAuthChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
    pubSub: NO_TOPICS,
    ...options,
    skipCheck: true,
  });
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  // Every resource's `meta` comes from its row's `lastUpdated` (see Resource).
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const meta = type.getFields().meta;
    if (meta && getNamedType(meta.type).name === 'ResourceMeta') resolvers[type.name] = { ...resolvers[type.name], meta: metaOf };
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolver = resolvers[type.name]?.[field.name];
      if (field.args.length > 0 && resolver)
        resolvers[type.name][field.name] = guarded(resolver, argumentGuard(type.name, field.name, selfCheckedArguments));
    }
  }
  for (const [typeName, reference] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = {
      ...resolvers[typeName],
      __resolveReference: (representation: { id: string }, context: Context) =>
        typeof representation.id !== 'string' || textFault(representation.id, TEXT_LIMITS.id)
          ? null
          : reference.resolve(representation, context),
    };
  }
  const typeDefs = gql(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(schema)}`);
  assertEveryEntityGuarded(typeDefs, referenceResolvers);
  const access = {
    fields: rootFieldAccess(options.resolvers),
    entities: Object.entries(referenceResolvers).map(([type, reference]) => ({ type, partnerSees: reference.partnerSees })),
  };
  const subgraph = buildSubgraphSchema({
    typeDefs,
    resolvers: resolvers as never,
  });
  recordAccessTable(subgraph, access);
  return subgraph;
}

/** `resolver` (a function, or a subscription's `{ subscribe, resolve }`) with `check` run on its arguments first. */
function guarded(resolver: unknown, check: (args: Record<string, unknown>) => void): unknown {
  const wrap =
    (resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> =>
    (root, args, context, info) => {
      check(args);
      return resolve(root, args, context, info);
    };
  if (typeof resolver === 'function') return wrap(resolver as GraphQLFieldResolver<unknown, unknown>);
  const { subscribe, resolve, ...rest } = resolver as Record<string, GraphQLFieldResolver<unknown, unknown> | undefined>;
  return { ...rest, ...(subscribe ? { subscribe: wrap(subscribe) } : {}), ...(resolve ? { resolve } : {}) };
}
