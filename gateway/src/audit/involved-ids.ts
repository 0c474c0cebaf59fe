/**
 * What an audit record says an operation was about: its root fields and the ids involved. An id is a value
 * whose GraphQL type is `ID` — an argument, or a field of an input object at any depth — or the `id` of a root
 * field's result. Nothing else of the arguments is ever read out: names, dates of birth, SSNs and file content
 * are PHI, and they are typed String, Date or an enum, never ID.
 */
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromAST,
} from 'graphql';

/** The root field selections of `operation` (through fragments), in document order. */
export function rootFieldNodes(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): FieldNode[] {
  const fields: FieldNode[] = [];
  const walk = (selectionSet: SelectionSetNode, seen: ReadonlySet<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__')) fields.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet, seen);
      else if (!seen.has(selection.name.value)) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet, new Set([...seen, selection.name.value]));
      }
    }
  };
  walk(operation.selectionSet, new Set());
  return fields;
}

/** The ID-typed parts of `value`, a coerced value of `type`. */
function* idsInValue(value: unknown, type: GraphQLInputType): Generator<string> {
  if (value === null || value === undefined) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (Array.isArray(value)) for (const item of value) yield* idsInValue(item, nullable.ofType);
    return;
  }
  const named = getNamedType(nullable);
  if (named.name === 'ID') {
    if (typeof value === 'string' || typeof value === 'number') yield String(value);
  } else if (isInputObjectType(named) && typeof value === 'object') {
    const fields = named.getFields();
    for (const [name, field] of Object.entries(fields)) yield* idsInValue((value as Record<string, unknown>)[name], field.type);
  }
}

/**
 * The ids in the arguments of `fields` (root fields of `rootType`): every value whose type is ID, through
 * lists and input objects. An argument that does not coerce (the operation was refused) names none.
 */
export function* argumentIds(
  schema: GraphQLSchema,
  rootType: 'Mutation' | 'Query',
  fields: readonly FieldNode[],
  variables: Record<string, unknown> | null | undefined,
): Generator<string> {
  const type = rootType === 'Mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!type) return;
  for (const node of fields) {
    const field = type.getFields()[node.name.value];
    if (!field) continue;
    for (const argument of node.arguments ?? []) {
      const definition = field.args.find((a) => a.name === argument.name.value);
      if (!definition) continue;
      yield* idsInValue(valueFromAST(argument.value, definition.type, variables ?? undefined), definition.type);
    }
  }
}

/** The `id` of each root field's result in `data` (an object, or each object of a list). */
export function* resultIds(fields: readonly FieldNode[], data: Record<string, unknown> | null | undefined): Generator<string> {
  if (!data) return;
  for (const node of fields) {
    const result = data[node.alias?.value ?? node.name.value];
    for (const item of Array.isArray(result) ? result : [result]) {
      const id = item && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
      if (typeof id === 'string') yield id;
    }
  }
}
