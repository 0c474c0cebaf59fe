/**
 * Entity resolution under the root fields' access rules. The gateway resolves entities (`_entities`) with the
 * user's own identity, and whoever reaches a subgraph directly may name any key: so every resolvable entity
 * states who may see a record, and a record the identity may not see answers as a missing one (null), as the
 * root field `x(id:)` answers another partner's id. `buildFederatedSchema` accepts reference resolvers only
 * in this form, so an entity cannot be made resolvable without a rule.
 */
import { type DocumentNode, Kind } from 'graphql';
import { canSeePartner } from '../auth/roles';
import type { RequestContext } from './request-context';

/**
 * Whether the identity of `context` may see `row`: the rule of the entity's root field, with `partnerSees`
 * saying in words what a partner token sees (the role table prints it; admin and services see every record).
 */
export interface AccessRule<Row, Context extends RequestContext = RequestContext> {
  (row: Row, context: Context): boolean | Promise<boolean>;
  readonly partnerSees: string;
}

/** A rule of its own for an entity: `visible`, described for the role table by `partnerSees`. */
export function accessRule<Row, Context extends RequestContext = RequestContext>(
  partnerSees: string,
  visible: (row: Row, context: Context) => boolean | Promise<boolean>,
): AccessRule<Row, Context> {
  return Object.assign(visible, { partnerSees });
}

/** An entity's `__resolveReference` with its access rule applied (made by `entityReference`). */
export interface EntityReference<Context extends RequestContext = RequestContext> {
  resolve(reference: { id: string }, context: Context): Promise<unknown>;
  /** What a partner token sees of the entity (the rule's `partnerSees`). */
  readonly partnerSees: string;
}

/**
 * The reference resolver that loads a record by key and answers it only where `visible` allows: null for a
 * missing record and for one the caller may not see alike, so that the answer tells nothing of its existence.
 */
export function entityReference<Row, Context extends RequestContext>(
  load: (reference: { id: string }, context: Context) => Row | null | Promise<Row | null>,
  visible: AccessRule<NoInfer<Row>, NoInfer<Context>>,
): EntityReference<Context> {
  return {
    partnerSees: visible.partnerSees,
    async resolve(reference, context) {
      const row = await load(reference, context);
      return row !== null && row !== undefined && (await visible(row, context)) ? row : null;
    },
  };
}

/**
 * One partner's records (the partner `partnerIdOf` names; null: no partner's): that partner's tokens see them,
 * other partners' tokens do not; admin and services see all.
 */
export function ownedByPartner<Row, Context extends RequestContext = RequestContext>(
  partnerIdOf: (row: Row, context: Context) => string | null | Promise<string | null>,
): AccessRule<Row, Context> {
  return accessRule("its own partner's", async (row, context) => {
    if (context.identity.role !== 'partner') return true;
    const partnerId = await partnerIdOf(row, context);
    return partnerId !== null && canSeePartner(context.identity, partnerId);
  });
}

/** Records whose root fields are admin/service only: no partner token sees them. */
export const notForPartners: AccessRule<unknown> = accessRule('none', (_row, context) => context.identity.role !== 'partner');

/**
 * Throws naming each entity `typeDefs` declares resolvable (`@key` without `resolvable: false`) that has no
 * reference resolver: Apollo's default would answer any representation as a record, whoever asks.
 */
export function assertEveryEntityGuarded(typeDefs: DocumentNode, references: Readonly<Record<string, unknown>>): void {
  const unguarded = typeDefs.definitions
    .filter((definition) => definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION)
    .filter((definition) =>
      definition.directives?.some(
        (directive) =>
          directive.name.value === 'key' &&
          !directive.arguments?.some((a) => a.name.value === 'resolvable' && a.value.kind === Kind.BOOLEAN && !a.value.value),
      ),
    )
    .map((definition) => definition.name.value)
    .filter((name) => !references[name]);
  if (unguarded.length) {
    throw new Error(`Entities without a reference resolver and access rule (entityReference): ${[...new Set(unguarded)].join(', ')}.`);
  }
}
