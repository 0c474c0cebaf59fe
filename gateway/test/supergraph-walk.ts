/**
 * The supergraph as a test walks it: its root fields, its resolvable entities and the subgraph that resolves
 * each, and generated selections (every field a subgraph or the gateway answers, to a depth), so that a test
 * covers what the schema holds today and whatever is added to it later.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  type ValueNode,
} from 'graphql';

const SUPERGRAPH_FILE = path.join(__dirname, '..', '..', 'schema', 'supergraph.graphql');

/** The checked-in supergraph (drift-tested against the code, so it is what the services serve). */
export function readSupergraph(): GraphQLSchema {
  return buildSchema(readFileSync(SUPERGRAPH_FILE, 'utf8'));
}

const argumentOf = (directive: ConstDirectiveNode, name: string): ValueNode | undefined =>
  directive.arguments?.find((a) => a.name.value === name)?.value;
const stringOf = (value: ValueNode | undefined) => (value?.kind === Kind.STRING || value?.kind === Kind.ENUM ? value.value : undefined);
const directivesOf = (node: { astNode?: { directives?: readonly ConstDirectiveNode[] } | null }, name: string) =>
  node.astNode?.directives?.filter((d) => d.name.value === name) ?? [];

/** Each `join__Graph` value's subgraph name (`CARE_REQUESTS` → `care-requests`). */
function subgraphNames(schema: GraphQLSchema): Map<string, string> {
  const graphs = schema.getType('join__Graph');
  if (!graphs || !('getValues' in graphs)) throw new Error('The supergraph has no join__Graph enum.');
  return new Map(
    graphs.getValues().map((value) => {
      const name = stringOf(directivesOf(value, 'join__graph').map((d) => argumentOf(d, 'name'))[0]);
      return [value.name, name ?? value.name];
    }),
  );
}

/** The graphs (join__Graph values) a type is part of. */
const graphsOfType = (type: GraphQLNamedType) => directivesOf(type, 'join__type').map((d) => stringOf(argumentOf(d, 'graph'))!);

/** Whether `graph` resolves `field` of `type` (no @join__field: every graph of the type does). */
function resolvedBy(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>, graph: string): boolean {
  const joins = directivesOf(field, 'join__field');
  if (joins.length === 0) return graphsOfType(type).includes(graph);
  return joins.some((d) => stringOf(argumentOf(d, 'graph')) === graph && argumentOf(d, 'external')?.kind !== Kind.BOOLEAN);
}

export interface RootField {
  name: string;
  field: GraphQLField<unknown, unknown>;
}

/** The fields of a root type (Query, Mutation, Subscription); none when the supergraph has no such type. */
export function rootFields(schema: GraphQLSchema, root: 'Query' | 'Mutation' | 'Subscription'): RootField[] {
  const type = schema.getType(root);
  if (!type || !isObjectType(type)) return [];
  return Object.values(type.getFields()).map((field) => ({ name: field.name, field }));
}

export interface ResolvableEntity {
  type: string;
  /** The subgraph (its service name) that resolves it by key. */
  subgraph: string;
  /** The join__Graph value of that subgraph. */
  graph: string;
}

/** Every (entity type, subgraph) pair where the subgraph resolves the type by `@key` (resolvable). */
export function resolvableEntities(schema: GraphQLSchema): ResolvableEntity[] {
  const names = subgraphNames(schema);
  const entities: ResolvableEntity[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    for (const join of directivesOf(type, 'join__type')) {
      const resolvable = argumentOf(join, 'resolvable');
      if (!argumentOf(join, 'key') || (resolvable?.kind === Kind.BOOLEAN && !resolvable.value)) continue;
      const graph = stringOf(argumentOf(join, 'graph'))!;
      entities.push({ type: type.name, subgraph: names.get(graph)!, graph });
    }
  }
  return entities;
}

/**
 * A selection of every field of `typeName` to `depth` object levels: through the gateway (`graph` omitted),
 * or only what subgraph `graph` resolves (for its `_entities`). Fields with required arguments are left out,
 * and a type is not entered again below itself (which would only repeat what is already selected).
 */
function selectionOf(schema: GraphQLSchema, typeName: string, options: { graph?: string; depth?: number } = {}): string {
  const walk = (type: GraphQLObjectType, depth: number, path: ReadonlySet<string>): string => {
    const parts: string[] = [];
    for (const field of Object.values(type.getFields())) {
      if (options.graph && !resolvedBy(type, field, options.graph)) continue;
      if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
      const named = getNamedType(field.type);
      if (isLeafType(named)) parts.push(field.name);
      else if (isObjectType(named) && depth > 0 && !path.has(named.name)) {
        const inner = walk(named, depth - 1, new Set([...path, named.name]));
        if (inner) parts.push(`${field.name} ${inner}`);
      }
    }
    return parts.length ? `{ ${parts.join(' ')} }` : '';
  };
  const type = schema.getType(typeName);
  if (!type || !isObjectType(type)) throw new Error(`${typeName} is not an object type of the supergraph.`);
  return walk(type, options.depth ?? 6, new Set([typeName]));
}

/**
 * An operation calling root field `field` with `args` (as variables, typed from the schema) and selecting the
 * whole of its type to `depth` (see `selectionOf`; for a connection, its records' to `depth`).
 */
export function rootOperation(
  schema: GraphQLSchema,
  root: 'query' | 'mutation' | 'subscription',
  field: GraphQLField<unknown, unknown>,
  args: Readonly<Record<string, unknown>>,
  depth?: number,
): string {
  const unknown = Object.keys(args).filter((name) => !field.args.some((a) => a.name === name));
  if (unknown.length) throw new Error(`${field.name} has no argument ${unknown.join(', ')}.`);
  const passed = field.args.filter((a) => a.name in args);
  const variables = passed.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const call = passed.map((a) => `${a.name}: $${a.name}`).join(', ');
  const named = getNamedType(field.type);
  // A connection's records are what `depth` counts from: its edges and nodes are wrappers.
  const node = isObjectType(named) ? getNamedType(named.getFields().edges?.type ?? named) : named;
  const nodeType = isObjectType(node) && node !== named ? getNamedType(node.getFields().node?.type ?? node) : null;
  const selection = isLeafType(named)
    ? ''
    : nodeType
      ? `{ edges { cursor node ${selectionOf(schema, nodeType.name, { depth })} } pageInfo { hasNextPage endCursor } transactionTime }`
      : selectionOf(schema, named.name, { depth });
  return `${root}${variables ? `(${variables})` : ''} { ${field.name}${call ? `(${call})` : ''} ${selection} }`;
}

/** The `_entities` operation a subgraph answers for `entity`, selecting what that subgraph resolves of it (to `depth`). */
export function entitiesOperation(schema: GraphQLSchema, entity: ResolvableEntity, depth?: number): string {
  const selection = selectionOf(schema, entity.type, { graph: entity.graph, depth });
  return `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${entity.type} ${selection} } }`;
}
