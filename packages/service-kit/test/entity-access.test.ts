import gql from 'graphql-tag';
import type { Identity } from '../src/auth/roles';
import { assertEveryEntityGuarded, entityReference, notForPartners, ownedByPartner } from '../src/graphql/entity-access';
import type { RequestContext } from '../src/graphql/request-context';

const contextOf = (identity: Identity) => ({ identity }) as RequestContext;
const admin = contextOf({ subject: 'a', role: 'admin' });
const service = contextOf({ subject: 's', role: 'service' });
const own = contextOf({ subject: 'p', role: 'partner', partnerId: 'p1' });
const other = contextOf({ subject: 'q', role: 'partner', partnerId: 'p2' });

const rows: Record<string, { id: string; partnerId: string }> = { r1: { id: 'r1', partnerId: 'p1' } };
const load = (ref: { id: string }) => rows[ref.id] ?? null;

describe('entity resolution under an access rule', () => {
  const roster = entityReference(
    load,
    ownedByPartner((row) => row.partnerId),
  );

  it("answers another partner's record as a missing one, and the owner, admin and services the record", async () => {
    expect(await roster.resolve({ id: 'r1' }, other)).toBeNull();
    expect(await roster.resolve({ id: 'missing' }, other)).toBeNull();
    for (const context of [own, admin, service]) expect(await roster.resolve({ id: 'r1' }, context)).toEqual(rows.r1);
  });

  it('lets no partner token see what is admin/service only', async () => {
    const dataLoad = entityReference(load, notForPartners);
    expect(await dataLoad.resolve({ id: 'r1' }, own)).toBeNull();
    expect(await dataLoad.resolve({ id: 'r1' }, service)).toEqual(rows.r1);
  });

  it('answers a partner null when the rule names no partner', async () => {
    const orphan = entityReference(
      load,
      ownedByPartner(() => null),
    );
    expect(await orphan.resolve({ id: 'r1' }, own)).toBeNull();
    expect(await orphan.resolve({ id: 'r1' }, admin)).toEqual(rows.r1);
  });

  it('refuses a schema whose resolvable entity has no reference resolver, and accepts stubs', () => {
    const typeDefs = gql`
      type Roster @key(fields: "id") { id: ID! }
      type Partner @key(fields: "id", resolvable: false) { id: ID! }
      type Backfill @key(fields: "id") { id: ID! }
    `;
    expect(() => assertEveryEntityGuarded(typeDefs, { Roster: roster })).toThrow(
      'Entities without a reference resolver and access rule (entityReference): Backfill.',
    );
    expect(() => assertEveryEntityGuarded(typeDefs, { Roster: roster, Backfill: roster })).not.toThrow();
  });
});
