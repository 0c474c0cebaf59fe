/**
 * Who may use what, as one table read from the declarations themselves: each root field's `@Authorized(...)`
 * (checked by `roleAuthChecker`) and each entity's access rule (`entityReference`). A subgraph schema is not built
 * while a root field lacks a declaration, and the README's role table is printed from this (`npm run compose`;
 * the drift test fails when they differ), so the documentation cannot tell another story than the code.
 */
import type { GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import type { Role } from '../auth/roles';

/** A root field and the roles its `@Authorized` names (none: any signed-in identity; admin may always). */
export interface FieldAccess {
  operation: 'Query' | 'Mutation' | 'Subscription';
  field: string;
  roles: readonly Role[];
  description: string | undefined;
}

/** An entity this subgraph resolves for joins (`_entities`), and what of it a partner token sees. */
export interface EntityAccess {
  type: string;
  partnerSees: string;
}

export interface AccessTable {
  fields: FieldAccess[];
  entities: EntityAccess[];
}

const tables = new WeakMap<GraphQLSchema, AccessTable>();

/** The access table of a schema `buildFederatedSchema` built. */
export function accessTableOf(schema: GraphQLSchema): AccessTable {
  const table = tables.get(schema);
  if (!table) throw new Error('This schema was not built by buildFederatedSchema: it has no access table.');
  return table;
}

export function recordAccessTable(schema: GraphQLSchema, table: AccessTable): void {
  tables.set(schema, table);
}

/**
 * The root fields of `resolvers` with their declared roles; throws naming every root field that has no
 * `@Authorized` (on the method, or on its resolver class): each must say who may use it.
 */
export function rootFieldAccess(resolvers: readonly unknown[]): FieldAccess[] {
  const storage = getMetadataStorage();
  const classes = new Set(resolvers);
  const rolesOf = (target: unknown, method: string): readonly Role[] | undefined =>
    (storage.authorizedFields.find((a) => a.target === target && a.fieldName === method)?.roles ??
      storage.authorizedResolver.find((a) => a.target === target)?.roles) as readonly Role[] | undefined;
  const fields: FieldAccess[] = [];
  const undeclared: string[] = [];
  const kinds = [
    ['Query', storage.queries],
    ['Mutation', storage.mutations],
    ['Subscription', storage.subscriptions],
  ] as const;
  for (const [operation, definitions] of kinds) {
    for (const definition of definitions) {
      if (!classes.has(definition.target)) continue;
      const roles = rolesOf(definition.target, definition.methodName);
      if (!roles) undeclared.push(`${operation}.${definition.schemaName}`);
      else fields.push({ operation, field: definition.schemaName, roles, description: definition.description });
    }
  }
  if (undeclared.length) {
    throw new Error(`Root fields without @Authorized (say who may use each): ${undeclared.join(', ')}.`);
  }
  return fields;
}
