/**
 * Operation limits: what one operation may ask of the graph, checked at the gateway before anything reaches a
 * subgraph, for HTTP (the Apollo plugin below) and for subscriptions (subscriptions/operations.ts) alike.
 *
 * Six figures of an operation are held to limits per role (defaults in `DEFAULT_LIMITS`, settings
 * `LIMIT_<NAME>` for every role and `LIMIT_<NAME>_<ROLE>` for one):
 * - tokens: lexical tokens of the document. The largest limit of any role is also the parser's own cap, so a
 *   huge document is refused while it is read, not after;
 * - depth, aliases and directives: counted by graphql-armor's rules (@escape.tech/graphql-armor-max-*);
 * - root fields: fields at the top of the operation (aliases included), which graphql-armor does not count;
 * - cost: every field the operation would resolve, multiplied by the sizes of the lists around it. A connection
 *   field's `edges` count `first` (the API's default page size when absent), any other list `COST_LIST_SIZE`
 *   (default 10). It is an upper bound of the work, known before any of it is done.
 * A refused operation gets one error, OPERATION_LIMIT_EXCEEDED (HTTP 400), naming the limit, its value, the
 * operation's figure and the setting that raises it.
 *
 * Introspection (`__schema`, `__type`) is one more such rule: `INTROSPECTION_ROLES` names who may (default every
 * role in embedded mode; admin and service in production, so a partner integration reads the published schema
 * instead). Others get FORBIDDEN (HTTP 403).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { careGraphMode, integerSetting, ROLES, type Role } from '@care-graph/service-kit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  BREAK,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isListType,
  isNonNullType,
  Kind,
  Lexer,
  type OperationDefinitionNode,
  type SelectionSetNode,
  Source,
  TokenKind,
  type ValueNode,
  validate,
  valueFromASTUntyped,
  visit,
} from 'graphql';
import type { GatewayContext } from '../auth';

const LIMIT_NAMES = ['tokens', 'depth', 'aliases', 'rootFields', 'directives', 'cost'] as const;
type LimitName = (typeof LIMIT_NAMES)[number];
export type OperationFigures = Record<LimitName, number>;
export type OperationLimits = Record<LimitName, number>;

/**
 * The defaults. A partner's integration pulls pages of one list (cost ~ page size × fields); an admin's dashboard
 * and tools join a page across subgraphs; a service's calls reach the gateway only from Care Graph's own tools.
 */
export const DEFAULT_LIMITS: Record<Role, OperationLimits> = {
  partner: { tokens: 3_000, depth: 10, aliases: 20, rootFields: 10, directives: 20, cost: 50_000 },
  admin: { tokens: 10_000, depth: 15, aliases: 50, rootFields: 30, directives: 50, cost: 500_000 },
  service: { tokens: 10_000, depth: 15, aliases: 50, rootFields: 30, directives: 50, cost: 500_000 },
};

const SETTING_NAMES: Record<LimitName, string> = {
  tokens: 'TOKENS',
  depth: 'DEPTH',
  aliases: 'ALIASES',
  rootFields: 'ROOT_FIELDS',
  directives: 'DIRECTIVES',
  cost: 'COST',
};

const WHAT: Record<LimitName, string> = {
  tokens: 'The operation has {actual} tokens',
  depth: 'The operation nests {actual} levels deep',
  aliases: 'The operation uses {actual} aliases',
  rootFields: 'The operation asks for {actual} root fields',
  directives: 'The operation uses {actual} directives',
  cost: 'The operation could resolve up to {actual} fields (its cost)',
};

const HINT: Record<LimitName, string> = {
  tokens: 'send a shorter document (values belong in variables)',
  depth: 'ask for fewer nested levels',
  aliases: 'send fewer aliased fields, or several requests',
  rootFields: 'split it into several requests',
  directives: 'use fewer directives',
  cost: 'ask for smaller pages (first) or fewer nested lists',
};

export interface LimitSettings {
  byRole: Record<Role, OperationLimits>;
  /** The parser's cap on tokens: the largest tokens limit of any role. */
  maxTokens: number;
  /** Size assumed for a connection's page when `first` is absent: the API's default page size. */
  defaultPageSize: number;
  /** Size assumed for a list that is not a connection page. */
  listSize: number;
  /** The roles that may introspect the schema. */
  introspectionRoles: ReadonlySet<Role>;
}

/** The limits from `env` (README, "Operation limits"); throws naming a malformed setting. */
export function limitSettings(env: NodeJS.ProcessEnv): LimitSettings {
  const byRole = {} as Record<Role, OperationLimits>;
  for (const role of ROLES) {
    byRole[role] = { ...DEFAULT_LIMITS[role] };
    for (const name of LIMIT_NAMES) {
      const all = integerSetting(env, `LIMIT_${SETTING_NAMES[name]}`, DEFAULT_LIMITS[role][name], 1, 100_000_000);
      byRole[role][name] = integerSetting(env, `LIMIT_${SETTING_NAMES[name]}_${role.toUpperCase()}`, all, 1, 100_000_000);
    }
  }
  const introspection = env.INTROSPECTION_ROLES ?? (careGraphMode(env).mode === 'embedded' ? ROLES.join(',') : 'admin,service');
  const introspectionRoles = introspection
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  const unknownRoles = introspectionRoles.filter((role) => !ROLES.includes(role as Role));
  if (unknownRoles.length)
    throw new Error(
      `INTROSPECTION_ROLES may name ${ROLES.join(', ')} (comma-separated, or empty for none); it is ${JSON.stringify(introspection)}.`,
    );
  return {
    byRole,
    introspectionRoles: new Set(introspectionRoles as Role[]),
    maxTokens: Math.max(...ROLES.map((role) => byRole[role].tokens)),
    defaultPageSize: integerSetting(env, 'COST_DEFAULT_PAGE_SIZE', 100, 1, 100_000),
    listSize: integerSetting(env, 'COST_LIST_SIZE', 10, 1, 100_000),
  };
}

/** Lexical tokens of `source` (what graphql-js's parser counts for its own maxTokens). */
function countTokens(source: string): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

/** The figures of the operation `operationName` of a validated `document`, with `variables` for `first` arguments. */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  settings: Pick<LimitSettings, 'defaultPageSize' | 'listSize'>,
): OperationFigures {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  // graphql-armor's counting rules, with no limit of their own: each reports the figure of every operation.
  const counted = { depth: 0, aliases: 0, directives: 0 };
  const report = (name: keyof typeof counted) => [
    (_context: unknown, details: { n: number }) => {
      counted[name] = Math.max(counted[name], details.n);
    },
  ];
  const unlimited = Number.POSITIVE_INFINITY;
  validate(schema, document, [
    maxDepthRule({ n: unlimited, ignoreIntrospection: true, onAccept: report('depth') }),
    maxAliasesRule({ n: unlimited, onAccept: report('aliases') }),
    maxDirectivesRule({ n: unlimited, onAccept: report('directives') }),
  ]);
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const rootType = operation && schema.getRootType(operation.operation);
  return {
    tokens: document.loc ? countTokens(document.loc.source.body) : 0,
    ...counted,
    rootFields: operation ? rootFieldCount(operation.selectionSet, fragments, new Set()) : 0,
    cost:
      operation && rootType
        ? selectionCost(operation.selectionSet, rootType, 1, undefined, { schema, fragments, variables: variables ?? {}, ...settings })
        : 0,
  };
}

function rootFieldCount(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += selection.name.value === '__typename' ? 0 : 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += rootFieldCount(selection.selectionSet, fragments, seen);
    else if (!seen.has(selection.name.value)) {
      const fragment = fragments.get(selection.name.value);
      if (fragment) count += rootFieldCount(fragment.selectionSet, fragments, new Set([...seen, selection.name.value]));
    }
  }
  return count;
}

interface CostContext {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  defaultPageSize: number;
  listSize: number;
}

/**
 * The cost of `selectionSet` on `parentType`, resolved `multiplier` times. `pageSize` is the page its parent
 * connection field asked for: the size of that connection's `edges`.
 */
function selectionCost(
  selectionSet: SelectionSetNode,
  parentType: GraphQLNamedType,
  multiplier: number,
  pageSize: number | undefined,
  context: CostContext,
  fragmentPath: ReadonlySet<string> = new Set(),
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? context.schema.getType(selection.typeCondition.name.value) : parentType;
      if (type) cost += selectionCost(selection.selectionSet, type, multiplier, pageSize, context, fragmentPath);
      continue;
    }
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = context.fragments.get(selection.name.value);
      const type = fragment && context.schema.getType(fragment.typeCondition.name.value);
      if (fragment && type && !fragmentPath.has(fragment.name.value)) {
        cost += selectionCost(fragment.selectionSet, type, multiplier, pageSize, context, new Set([...fragmentPath, fragment.name.value]));
      }
      continue;
    }
    const name = selection.name.value;
    if (name.startsWith('__')) continue; // __typename and introspection: no subgraph work
    const field = 'getFields' in parentType ? (parentType.getFields() as Record<string, GraphQLField<unknown, unknown>>)[name] : undefined;
    if (!field) continue;
    cost += multiplier;
    if (!selection.selectionSet) continue;
    const first = selection.arguments?.find((argument) => argument.name.value === 'first');
    const isConnection = field.args.some((argument) => argument.name === 'first');
    const asked = first ? numberValue(first.value, context.variables) : undefined;
    const ownPage = isConnection ? Math.max(0, asked ?? context.defaultPageSize) : undefined;
    const returnsList = isListType(getNullableType(isNonNullType(field.type) ? field.type.ofType : field.type));
    // A list's size: the page of the connection it belongs to (`edges`), its own `first`, or the assumed size.
    const size = returnsList ? (name === 'edges' && pageSize !== undefined ? pageSize : (ownPage ?? context.listSize)) : 1;
    cost += selectionCost(selection.selectionSet, getNamedType(field.type), multiplier * size, returnsList ? undefined : ownPage, context);
  }
  return cost;
}

function numberValue(node: ValueNode, variables: Record<string, unknown>): number | undefined {
  const value = valueFromASTUntyped(node, variables);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The first limit of `role` the figures exceed, as the one error the client gets; none when all hold. */
function limitRefusal(figures: OperationFigures, role: Role, settings: LimitSettings): GraphQLError | undefined {
  const limits = settings.byRole[role];
  for (const name of LIMIT_NAMES) {
    if (figures[name] <= limits[name]) continue;
    const setting = `LIMIT_${SETTING_NAMES[name]}_${role.toUpperCase()}`;
    const figure = WHAT[name].replace('{actual}', figures[name].toLocaleString('en-US'));
    return new GraphQLError(`${figure}, over the ${role} limit of ${limits[name].toLocaleString('en-US')} (${setting}): ${HINT[name]}.`, {
      extensions: { code: 'OPERATION_LIMIT_EXCEEDED', limit: name, max: limits[name], actual: figures[name], http: { status: 400 } },
    });
  }
  return undefined;
}

/** graphql-js's message when its parser stops at `maxTokens` (16.x writes "more that"). */
const PARSER_TOKEN_CAP = /^Syntax Error: Document contains more tha[nt] \d+ tokens\. Parsing aborted\.$/;

/**
 * The limits error for a document the parser stopped reading at the token cap (graphql-js says only that it
 * aborted); undefined for any other parse error. Its tokens are counted by the lexer alone, which builds nothing.
 */
export function tokenCapRefusal(message: string, query: string, role: Role, settings: LimitSettings): GraphQLError | undefined {
  if (!PARSER_TOKEN_CAP.test(message)) return undefined;
  return limitRefusal({ tokens: countTokens(query), depth: 0, aliases: 0, rootFields: 0, directives: 0, cost: 0 }, role, settings);
}

/** Whether `document` asks for the schema (`__schema` or `__type`, anywhere; `__typename` is not introspection). */
function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** The check both the HTTP plugin and the streaming transports run on a validated operation. */
export function checkOperationLimits(
  settings: LimitSettings,
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  role: Role,
): GraphQLError | undefined {
  if (!settings.introspectionRoles.has(role) && introspects(document)) {
    return new GraphQLError(
      `Introspection is off for ${role} tokens here (INTROSPECTION_ROLES): generate your client from the published schema, schema/api.graphql.`,
      { extensions: { code: 'FORBIDDEN', http: { status: 403 } } },
    );
  }
  return limitRefusal(measureOperation(schema, document, operationName, variables, settings), role, settings);
}

/** Apollo Server plugin: refuses an operation over its caller's limits once it is resolved, before it runs. */
export function operationLimitsPlugin(settings: LimitSettings): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request, contextValue }) {
          const refusal = checkOperationLimits(settings, schema, document, operationName, request.variables, contextValue.identity.role);
          if (refusal) throw refusal;
        },
        // The parser's own refusal at the token cap becomes the limits error, with the document's figure.
        async willSendResponse({ response, request, contextValue }) {
          if (response.body.kind !== 'single' || !request.query || !contextValue?.identity) return;
          const result = response.body.singleResult;
          const [first] = result.errors ?? [];
          const refusal = first && tokenCapRefusal(first.message, request.query, contextValue.identity.role, settings);
          if (refusal) result.errors = [refusal.toJSON()];
        },
      };
    },
  };
}
