/**
 * The checked-in SDL in schema/ must be exactly what the code produces: a resolver change without
 * `npm run compose` fails here, so clients and the gateway never run on a stale supergraph.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeSupergraph, ROLE_TABLE_MARKERS, SCHEMA_DIR, withRoleTable } from '../supergraph';

describe('schema/ is up to date', () => {
  let composed: Awaited<ReturnType<typeof composeSupergraph>>;
  beforeAll(async () => {
    composed = await composeSupergraph();
  });

  it.each(['care-requests', 'pop-health', 'partners'])('schema/subgraphs/%s.graphql matches the code', async (name) => {
    const onDisk = await readFile(path.join(SCHEMA_DIR, 'subgraphs', `${name}.graphql`), 'utf8');
    const fromCode = composed.subgraphs.find((s) => s.name === name)!.sdl;
    if (onDisk !== fromCode) throw new Error(`schema/subgraphs/${name}.graphql is stale: run "npm run compose" and commit the result.`);
    expect(onDisk).toBe(fromCode);
  });

  it('schema/supergraph.graphql matches the composition', async () => {
    const onDisk = await readFile(path.join(SCHEMA_DIR, 'supergraph.graphql'), 'utf8');
    if (onDisk !== composed.supergraphSdl)
      throw new Error('schema/supergraph.graphql is stale: run "npm run compose" and commit the result.');
    expect(onDisk).toBe(composed.supergraphSdl);
  });

  it('schema/api.graphql is the published API schema, without service-only fields', async () => {
    const onDisk = await readFile(path.join(SCHEMA_DIR, 'api.graphql'), 'utf8');
    if (onDisk !== composed.apiSdl) throw new Error('schema/api.graphql is stale: run "npm run compose" and commit the result.');
    expect(onDisk).toBe(composed.apiSdl);
    for (const internal of ['careRequestsCreated', 'associatedCareRequestIds', 'startBackfillRun', 'finishBackfill', '_entities', 'join__'])
      expect(onDisk).not.toContain(internal);
    for (const api of ['careRequests(', 'backfillProgress(', 'startBackfill(', 'type Partner', 'input LastUpdatedFilter'])
      expect(onDisk).toContain(api);
  });

  it("README.md's role table is the one the access declarations give", async () => {
    const onDisk = await readFile(path.join(SCHEMA_DIR, '..', 'README.md'), 'utf8');
    if (withRoleTable(onDisk, composed.roleTable) !== onDisk)
      throw new Error('The role table in README.md is stale: run "npm run compose" and commit the result.');
    expect(onDisk).toContain(`${ROLE_TABLE_MARKERS[0]}\n${composed.roleTable}${ROLE_TABLE_MARKERS[1]}`);
    // Spot checks against what the services enforce (the tenant-isolation suite proves them through the gateway).
    expect(composed.roleTable).toContain('| `Mutation.startBackfill` | pop-health | yes | — | — | yes |');
    expect(composed.roleTable).toContain("| `Query.partners` | partners | yes | its own partner's | yes | yes |");
    expect(composed.roleTable).toContain('| `Mutation.finishBackfill` | pop-health | yes | — | yes | no (service only) |');
    expect(composed.roleTable).toContain("| `Roster` | pop-health | every record | its own partner's |");
  });

  it('composes the contract entities across subgraphs', () => {
    for (const entity of ['CareRequest', 'Patient', 'Partner', 'PartnerAssociation', 'Roster', 'RosterPatient', 'Backfill']) {
      expect(composed.supergraphSdl).toMatch(new RegExp(`type ${entity}\\b[^{]*@join__type\\(graph: \\w+, key: "id"`));
    }
  });
});
