/**
 * The hostile-input suite: what a hostile or careless client sends, through the public gateway and straight
 * at the subgraphs, across transport, GraphQL, filters, cursors, ids, text fields, imports, roster files and
 * tokens. Every case asserts the exact status and code, that the message names the problem, that no more
 * than a short prefix of a long bad value comes back, that no row was written where the input was refused,
 * and that the services still answer afterwards.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { QUOTED_PREFIX } from '@care-graph/limits';
import { devSigningKey, IDENTITY_HEADER, type Identity, InternalAuth, internalSigner } from '@care-graph/service-kit';
import { importJWK, SignJWT } from 'jose';
import { type Graph, startGraph } from '../../scripts/in-process-graph';
import { CANARY_PATIENT } from '../../scripts/log-scan';

/** What a case sends: a ready request (URL, method, headers, body). */
interface Sent {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

interface Case {
  name: string;
  send(): Promise<Sent>;
  status: number;
  code: string;
  /** What the message must say (the field, argument or problem it names). */
  says: RegExp;
  /** A long bad value the case sends: the answer may quote no more than its first QUOTED_PREFIX characters. */
  value?: string;
  /** Data the answer must not hold at all (PHI the case sends: the log scan also looks for it in every log line). */
  secret?: string;
  /** Rows the case may write (table → how many more); every other table must keep its count. */
  writes?: Partial<Record<Table, number>>;
  /** Where the code and message are read from (default: the first GraphQL error). */
  shape?: 'graphql' | 'route' | 'import-rejection' | 'roster-rejection';
}

const TABLES = ['CareRequest', 'Patient', 'DataLoad', 'Partner', 'PartnerAssociation', 'Roster', 'RosterPatient', 'Backfill'] as const;
type Table = (typeof TABLES)[number];

const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const GOOD_ROW = 'M-1,Ann,,Lee,1950-06-05,F,,1 Main St,Denver,CO,80201';
const NUL = 'a\u0000b';
const LONG = 'L'.repeat(100_000);
const IMPORT =
  'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { received created rejected { index id reasons } } }';
const INGEST =
  'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id status acceptedCount rejectedCount rejectedRows { line memberId reason } } }';

describe('hostile input', () => {
  let graph: Graph;
  let partnerId: string;
  let partnersCursor: string;
  let internalAuth: InternalAuth;
  let serial = 0;
  /** A fresh id, so that cases which do write never collide with each other. */
  const fresh = (prefix: string) => `${prefix}-hostile-${(serial += 1)}`;

  beforeAll(async () => {
    graph = await startGraph();
    internalAuth = new InternalAuth(new TextEncoder().encode(graph.env.INTERNAL_AUTH_SECRET!));
    const created = await graph.post(await graph.as('admin'), 'mutation { createPartner(input: { name: "Hostile Test Plan" }) { id } }');
    partnerId = (created.body.data as { createPartner: { id: string } }).createPartner.id;
    const page = await graph.post(await graph.as('admin'), '{ partners(first: 1) { pageInfo { endCursor } } }');
    partnersCursor = (page.body.data as { partners: { pageInfo: { endCursor: string } } }).partners.pageInfo.endCursor;
  });
  afterAll(() => graph?.close());

  const counts = async (): Promise<Record<Table, number>> => {
    const careRequests = graph.subgraphs['care-requests'].database.client;
    const partners = graph.subgraphs.partners.database.client;
    const popHealth = graph.subgraphs['pop-health'].database.client;
    const [CareRequest, Patient, DataLoad, Partner, PartnerAssociation, Roster, RosterPatient, Backfill] = await Promise.all([
      careRequests.careRequest.count(),
      careRequests.patient.count(),
      careRequests.dataLoad.count(),
      partners.partner.count(),
      partners.partnerAssociation.count(),
      popHealth.roster.count(),
      popHealth.rosterPatient.count(),
      popHealth.backfill.count(),
    ]);
    return { CareRequest, Patient, DataLoad, Partner, PartnerAssociation, Roster, RosterPatient, Backfill };
  };

  // Request builders.
  const gql = (role: 'admin' | 'partner' | null, query: string, variables?: unknown, url?: string) => async (): Promise<Sent> => ({
    url: url ?? graph.url,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(role ? { authorization: `Bearer ${await graph.token(role, role === 'partner' ? partnerId : undefined)}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const withToken =
    (token: () => Promise<string>, query = '{ partners(first: 1) { transactionTime } }') =>
    async (): Promise<Sent> => ({
      url: graph.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
      body: JSON.stringify({ query }),
    });
  const raw = (headers: Record<string, string>, body: string | Uint8Array, url?: () => string) => async (): Promise<Sent> => ({
    url: url ? url() : graph.url,
    method: 'POST',
    headers: { authorization: `Bearer ${await graph.token('admin')}`, ...headers },
    body,
  });
  const subgraph =
    (name: 'care-requests' | 'partners' | 'pop-health', identity: Identity | null, query: string, variables?: unknown) =>
    async (): Promise<Sent> => {
      const { url } = graph.subgraphs[name];
      const body = JSON.stringify({ query, variables });
      const signed = identity
        ? await internalSigner(internalAuth, identity, name, `hostile-${randomBytes(4).toString('hex')}`)(url, body)
        : {};
      return { url, method: 'POST', headers: { 'content-type': 'application/json', ...signed }, body };
    };
  const upload =
    (query: () => string, body: string | Uint8Array, contentType = 'text/csv') =>
    async (): Promise<Sent> => ({
      url: `${graph.url.replace(/\/graphql$/, '')}/rosters?${query()}`,
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${await graph.token('admin')}` },
      body,
    });
  const devToken = async (claims: Record<string, unknown>, build: (jwt: SignJWT) => SignJWT = (jwt) => jwt.setExpirationTime('1h')) => {
    const { privateJwk } = await devSigningKey(graph.dataDir);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: privateJwk.kid })
      .setIssuer('care-graph-dev')
      .setAudience('care-graph')
      .setSubject('hostile');
    return build(jwt).sign(await importJWK(privateJwk, 'EdDSA'));
  };
  const record = (overrides: Record<string, unknown> = {}, patient: Record<string, unknown> = {}) => {
    const id = fresh('cr');
    return {
      id,
      createdAt: '2026-02-06T01:18:32.180Z',
      status: 'COMPLETED',
      ...overrides,
      patient: { id: `pt-${id}`, givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1950-06-05', sex: 'F', ...patient },
    };
  };
  const roster = (content: string, fileName = 'hostile.csv') =>
    gql('admin', INGEST, { i: { partnerId, kind: 'CURRENT', fileName, content } });
  const cursorOf = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
  const careRequestsAfter = (after: () => string) => () =>
    gql('admin', 'query($a: String) { careRequests(first: 1, after: $a) { transactionTime } }', { a: after() })();
  const careRequestsFilter = (filter: string, variables?: Record<string, unknown>) => {
    const declared = [
      variables && 'v' in variables ? '$v: PartialDateTime' : '',
      variables && 'w' in variables ? '$w: DateTime' : '',
    ].filter(Boolean);
    return gql(
      'admin',
      `${declared.length ? `query(${declared.join(', ')})` : ''} { careRequests(${filter}) { transactionTime } }`,
      variables,
    );
  };

  const cases: Case[] = [
    // Transport: the body is not a GraphQL request at all.
    {
      name: 'transport: malformed JSON',
      send: raw({ 'content-type': 'application/json' }, '{"query": "{ __typename }"'),
      status: 400,
      code: 'BAD_REQUEST',
      says: /not valid JSON/,
    },
    {
      name: 'transport: a bare JSON string',
      send: raw({ 'content-type': 'application/json' }, '"{ __typename }"'),
      status: 400,
      code: 'BAD_REQUEST',
      says: /JSON|body/i,
    },
    {
      name: 'transport: a body over the size limit',
      send: raw({ 'content-type': 'application/json' }, `{"query":"${'x'.repeat(33 * 1024 * 1024)}"}`),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      says: /larger than/,
    },
    {
      name: 'transport: an unsupported charset',
      send: raw({ 'content-type': 'application/json; charset=latin-9' }, '{"query":"{ __typename }"}'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      says: /charset "latin-9"/,
    },
    {
      name: 'transport: a long charset name',
      send: raw({ 'content-type': `application/json; charset=${'c'.repeat(500)}` }, '{}'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      says: /charset/,
      value: 'c'.repeat(500),
    },
    {
      name: 'transport: gzip that is not gzip',
      send: raw({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{"query":"{ __typename }"}'),
      status: 400,
      code: 'BAD_REQUEST',
      says: /Content-Encoding/,
    },
    {
      name: 'transport: a gzip bomb over the limit',
      send: raw(
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync(`{"query":"${' '.repeat(40 * 1024 * 1024)}"}`),
      ),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      says: /larger than/,
    },
    {
      // A UTF-16 body that says so is read (body-parser decodes it); one that claims to be UTF-8 JSON is not JSON.
      name: 'transport: a UTF-16 body sent as UTF-8',
      send: raw({ 'content-type': 'application/json' }, Buffer.from('{"query":"{ __typename }"}', 'utf16le')),
      status: 400,
      code: 'BAD_REQUEST',
      says: /not valid JSON/,
    },
    {
      name: 'transport: a route that does not exist',
      send: async () => ({ url: graph.url.replace(/\/graphql$/, '/../etc/passwd'), method: 'GET' }),
      status: 404,
      code: 'NOT_FOUND',
      says: /.+/,
      shape: 'route',
    },

    {
      name: 'transport: a 100 KB URL',
      send: upload(() => `partnerId=${LONG}&kind=CURRENT`, `${HEADER}\n`),
      status: 431,
      code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
      says: /larger than 16 KB/,
      value: LONG,
    },
    {
      name: 'transport: an SSN as the request id',
      send: raw({ 'content-type': 'application/json', 'x-request-id': CANARY_PATIENT.ssn }, '{"query":'),
      status: 400,
      code: 'BAD_REQUEST',
      says: /not valid JSON/,
      secret: CANARY_PATIENT.ssn,
    },
    // GraphQL: well-formed HTTP, wrong GraphQL.
    {
      name: 'graphql: a syntax error',
      send: gql('admin', '{ partners(first: 1 { id } }'),
      status: 400,
      code: 'GRAPHQL_PARSE_FAILED',
      says: /Syntax Error/,
    },
    {
      name: 'graphql: an unknown field',
      send: gql('admin', '{ partnerz { id } }'),
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
      says: /partnerz/,
    },
    {
      name: 'graphql: a 100 KB field name',
      send: gql('admin', `{ ${'f'.repeat(100_000)} }`),
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
      says: /Cannot query field/,
      value: 'f'.repeat(100_000),
    },
    { name: 'graphql: an empty query', send: gql('admin', ''), status: 400, code: 'BAD_REQUEST', says: /query/i },
    {
      name: 'graphql: _entities on the public endpoint',
      send: gql('admin', '{ _entities(representations: [{ __typename: "Partner", id: "x" }]) { __typename } }'),
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
      says: /_entities/,
    },
    {
      name: 'graphql: a mutation over GET',
      send: async () => ({
        url: `${graph.url}?query=${encodeURIComponent('mutation { createPartner(input: { name: "Via GET" }) { id } }')}`,
        method: 'GET',
        headers: { authorization: `Bearer ${await graph.token('admin')}`, 'apollo-require-preflight': 'true' },
      }),
      status: 405,
      code: 'BAD_REQUEST',
      says: /GET/,
    },
    {
      name: 'graphql: variables that are not an object',
      send: raw({ 'content-type': 'application/json' }, '{"query":"{ __typename }","variables":[1,2]}'),
      status: 400,
      code: 'BAD_REQUEST',
      says: /variables/,
    },
    {
      name: 'graphql: a required variable missing',
      send: gql('admin', 'query($id: ID!) { partner(id: $id) { id } }', {}),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /\$id/,
    },
    {
      name: 'graphql: a persisted-query hash',
      send: raw(
        { 'content-type': 'application/json' },
        JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } }),
      ),
      status: 200,
      code: 'PERSISTED_QUERY_NOT_FOUND',
      says: /PersistedQueryNotFound/,
    },

    // lastUpdated and createdAt filters.
    {
      name: 'filter: a month 13',
      send: careRequestsFilter('lastUpdated: { gt: "2026-13" }'),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /lastUpdated\.gt.*"2026-13"/,
    },
    {
      name: 'filter: a 100 KB value',
      send: careRequestsFilter('lastUpdated: { ge: $v }', { v: LONG }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /lastUpdated\.ge/,
      value: LONG,
    },
    {
      name: 'filter: a NUL in a value',
      send: careRequestsFilter('lastUpdated: { eq: $v }', { v: `2026${NUL}` }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /lastUpdated/,
    },
    {
      name: 'filter: a DateTime past year 9999',
      send: careRequestsFilter('createdAt: { from: $w }', { w: '+275760-09-13T00:00:00.000Z' }),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /not a valid DateTime/,
    },
    {
      name: 'filter: a DateTime on 30 February',
      send: careRequestsFilter('createdAt: { until: $w }', { w: '2026-02-30T00:00:00Z' }),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /"2026-02-30T00:00:00Z" is not a valid DateTime/,
    },
    {
      name: 'filter: a 100 KB DateTime',
      send: careRequestsFilter('createdAt: { from: $w }', { w: LONG }),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /not a valid DateTime/,
      value: LONG,
    },
    {
      name: 'filter: first below zero',
      send: gql('admin', '{ partners(first: -1) { transactionTime } }'),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /"first" must be between 0 and 1000/,
    },
    {
      name: 'filter: first above the page limit',
      send: gql('admin', '{ careRequests(first: 1001) { transactionTime } }'),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /"first"/,
    },
    {
      name: 'filter: first that is not an integer',
      send: gql('admin', 'query($n: Int) { partners(first: $n) { transactionTime } }', { n: 1.5 }),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /\$n/,
    },

    // Cursors.
    {
      name: 'cursor: garbage',
      send: careRequestsAfter(() => 'not-a-cursor'),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /not a cursor this list returned/,
    },
    {
      name: 'cursor: another list’s cursor',
      send: careRequestsAfter(() => partnersCursor),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /not a cursor this list returned/,
    },
    {
      name: 'cursor: a NUL in the id it names',
      send: careRequestsAfter(() => cursorOf(['x', null, NUL])),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /not a cursor/,
    },
    {
      name: 'cursor: a timestamp past year 9999',
      send: careRequestsAfter(() => cursorOf(['x', '+275000-01-01T00:00:00.000Z', 'cr-1'])),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /not a cursor/,
    },
    {
      name: 'cursor: a timestamp that is not one',
      send: careRequestsAfter(() => cursorOf(['x', 'yesterday', 'cr-1'])),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /not a cursor/,
    },
    {
      name: 'cursor: 100 KB long',
      send: careRequestsAfter(() => LONG),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /after is longer than 512/,
      value: LONG,
    },

    // Ids.
    {
      name: 'id: a NUL in careRequest(id)',
      send: gql('admin', 'query($id: ID!) { careRequest(id: $id) { id } }', { id: NUL }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^id contains the control character U\+0000/,
    },
    {
      name: 'id: a NUL in partner(id)',
      send: gql('admin', 'query($id: ID!) { partner(id: $id) { id } }', { id: NUL }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^id contains the control character/,
    },
    {
      name: 'id: a 100 KB roster(id)',
      send: gql('admin', 'query($id: ID!) { roster(id: $id) { id } }', { id: LONG }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^id is longer than 128 characters/,
      value: LONG,
    },
    {
      name: 'id: a lone surrogate in backfill(id)',
      send: gql('admin', 'query($id: ID!) { backfill(id: $id) { id } }', { id: 'b\uD800' }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /well-formed Unicode/,
    },
    {
      name: 'id: an escape character in backfills(partnerId)',
      send: gql('admin', 'query($id: ID) { backfills(partnerId: $id) { transactionTime } }', { id: '\u001b[2J' }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^partnerId contains the control character U\+001B/,
    },
    {
      name: 'id: a NUL in the partner of a roster',
      send: gql('admin', INGEST, { i: { partnerId: NUL, kind: 'CURRENT', fileName: 'a.csv', content: `${HEADER}\n` } }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^input\.partnerId contains the control character U\+0000/,
    },

    // Text fields of mutations.
    {
      name: 'text: a NUL in a partner name',
      send: gql('admin', 'mutation($n: String!) { createPartner(input: { name: $n }) { id } }', { n: `Front${NUL}` }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^input\.name contains the control character U\+0000/,
    },
    {
      name: 'text: a 201-character partner name',
      send: gql('admin', 'mutation($n: String!) { createPartner(input: { name: $n }) { id } }', { n: 'p'.repeat(201) }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^input\.name is longer than 200/,
    },
    {
      name: 'text: a 100 KB partner name',
      send: gql('admin', 'mutation($n: String!) { createPartner(input: { name: $n }) { id } }', { n: LONG }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^input\.name is longer than 200/,
      value: LONG,
    },
    {
      name: 'text: a blank partner name',
      send: gql('admin', 'mutation { createPartner(input: { name: "   " }) { id } }'),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /input\.name must be 1 to 200/,
    },
    {
      name: 'text: a lone surrogate in a partner name',
      send: gql('admin', 'mutation($n: String!) { createPartner(input: { name: $n }) { id } }', { n: 'Plan \uDC00' }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /well-formed Unicode/,
    },
    {
      name: 'text: a NUL in a roster file name',
      send: async () => gql('admin', INGEST, { i: { partnerId, kind: 'CURRENT', fileName: `a${NUL}.csv`, content: `${HEADER}\n` } })(),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^input\.fileName contains/,
    },
    {
      name: 'text: a 256-character roster file name',
      send: async () =>
        gql('admin', INGEST, { i: { partnerId, kind: 'CURRENT', fileName: `${'f'.repeat(252)}.csv`, content: `${HEADER}\n` } })(),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^input\.fileName is longer than 255/,
    },
    {
      name: 'text: a NUL in a data load source',
      send: gql('admin', 'mutation($s: String) { startDataLoad(input: { kind: CARE_REQUEST_IMPORT, source: $s }) { id } }', { s: NUL }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^input\.source contains/,
    },

    // Import records: a bad record is rejected on its own; a value GraphQL cannot coerce refuses the call.
    {
      name: 'import: a NUL beside a patient name rejects the record without naming the patient',
      send: () =>
        gql('admin', IMPORT, {
          r: [
            record({}, { givenName: `${CANARY_PATIENT.givenName}\u0000`, familyName: CANARY_PATIENT.familyName, ssn: CANARY_PATIENT.ssn }),
          ],
        })(),
      status: 200,
      code: 'REJECTED',
      says: /^patient\.givenName contains the control character U\+0000$/,
      secret: CANARY_PATIENT.familyName,
      shape: 'import-rejection',
    },
    {
      name: 'import: a NUL in a given name (the good record loads)',
      send: () => gql('admin', IMPORT, { r: [record({}, { givenName: NUL }), record()] })(),
      status: 200,
      code: 'REJECTED',
      says: /^patient\.givenName contains the control character U\+0000$/,
      shape: 'import-rejection',
      writes: { CareRequest: 1, Patient: 1, DataLoad: 1 },
    },
    {
      name: 'import: a 100 KB family name',
      send: () => gql('admin', IMPORT, { r: [record({}, { familyName: LONG })] })(),
      status: 200,
      code: 'REJECTED',
      says: /^patient\.familyName is longer than 100 characters$/,
      value: LONG,
      shape: 'import-rejection',
    },
    {
      name: 'import: a 100 KB id is not echoed as the rejected id',
      send: () => gql('admin', IMPORT, { r: [record({ id: LONG })] })(),
      status: 200,
      code: 'REJECTED',
      says: /^id is longer than 128 characters$/,
      value: LONG,
      shape: 'import-rejection',
    },
    {
      name: 'import: a NUL in an address line',
      send: () => gql('admin', IMPORT, { r: [record({}, { address: { line1: `1 Main${NUL}` } })] })(),
      status: 200,
      code: 'REJECTED',
      says: /^patient\.address\.line1 contains/,
      shape: 'import-rejection',
    },
    {
      name: 'import: a lone surrogate in a city',
      send: () => gql('admin', IMPORT, { r: [record({}, { address: { city: 'Den\uD800ver' } })] })(),
      status: 200,
      code: 'REJECTED',
      says: /^patient\.address\.city is not well-formed Unicode/,
      shape: 'import-rejection',
    },
    {
      name: 'import: a 60-character state',
      send: () => gql('admin', IMPORT, { r: [record({}, { address: { state: 'S'.repeat(60) } })] })(),
      status: 200,
      code: 'REJECTED',
      says: /^patient\.address\.state is longer than 50/,
      shape: 'import-rejection',
    },
    {
      name: 'import: a ten-digit SSN',
      send: () => gql('admin', IMPORT, { r: [record({}, { ssn: '1234567890' })] })(),
      status: 200,
      code: 'REJECTED',
      says: /^patient\.ssn must be 9 digits/,
      shape: 'import-rejection',
    },
    {
      name: 'import: a createdAt in the future',
      send: () => gql('admin', IMPORT, { r: [record({ createdAt: '2999-01-01T00:00:00Z' })] })(),
      status: 200,
      code: 'REJECTED',
      says: /^createdAt is in the future$/,
      shape: 'import-rejection',
    },
    {
      name: 'import: a birth date 1950-13-01 refuses the call',
      send: () => gql('admin', IMPORT, { r: [record({}, { dateOfBirth: '1950-13-01' }), record()] })(),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /r\[0\]\.patient\.dateOfBirth.*"1950-13-01" is not a valid Date/,
    },
    {
      name: 'import: a 100 KB birth date',
      send: () => gql('admin', IMPORT, { r: [record({}, { dateOfBirth: LONG })] })(),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /dateOfBirth/,
      value: LONG,
    },
    {
      name: 'import: an unknown status',
      send: () => gql('admin', IMPORT, { r: [record({ status: 'LOST' })] })(),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /r\[0\]\.status/,
    },
    {
      name: 'import: a batch over the limit',
      send: () => gql('admin', IMPORT, { r: Array.from({ length: 5001 }, () => record()) })(),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /At most 5000 records per call/,
    },

    // Roster files: a bad row is rejected on its own; a file that is not a roster is refused whole.
    {
      name: 'roster: a realistic O"Brien refuses the file with its line',
      send: () => roster(`${HEADER}\n${GOOD_ROW}\nM-2,Pat,,O"Brien,1960-01-01,M,,,,,\n`)(),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /line 3/,
      // Nothing of the file is kept; the attempt stays in dataLoads as a FAILED load of 0 records.
      writes: { DataLoad: 1 },
    },
    {
      name: 'roster: binary garbage',
      send: () => roster(randomBytes(2048).toString('latin1'))(),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /.+/,
      // Nothing of the file is kept; the attempt stays in dataLoads as a FAILED load of 0 records.
      writes: { DataLoad: 1 },
    },
    {
      name: 'roster: a header that is a patient row is quoted by a prefix',
      send: () => roster(`M-9,${'Ann'.repeat(100)},,Lee,1950-06-05,F,123456789,,,,\n`)(),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /must be the header/,
      value: `M-9,${'Ann'.repeat(100)}`,
      // Nothing of the file is kept; the attempt stays in dataLoads as a FAILED load of 0 records.
      writes: { DataLoad: 1 },
    },
    {
      name: 'roster: a NUL in a cell rejects the row',
      send: () => roster(`${HEADER}\n${GOOD_ROW}\nM-2,A${NUL},,Lee,1950-06-05,F,,,,,\n`)(),
      status: 200,
      code: 'REJECTED',
      says: /^first_name contains the control character U\+0000$/,
      shape: 'roster-rejection',
      writes: { Roster: 1, RosterPatient: 1, DataLoad: 1 },
    },
    {
      name: 'roster: a 1 MB cell rejects the row with a short reason',
      send: () => roster(`${HEADER}\nM-3,Ann,,${'L'.repeat(1_000_000)},1950-06-05,F,,,,,\n${GOOD_ROW.replace('M-1', 'M-4')}\n`)(),
      status: 200,
      code: 'REJECTED',
      says: /^last_name is longer than 100 characters$/,
      value: 'L'.repeat(1_000_000),
      shape: 'roster-rejection',
      writes: { Roster: 1, RosterPatient: 1, DataLoad: 1 },
    },
    {
      name: 'roster: a long bad sex code is quoted by a prefix',
      send: () => roster(`${HEADER}\nM-5,Ann,,Lee,1950-06-05,${'X'.repeat(500)},,,,,\n`)(),
      status: 200,
      code: 'REJECTED',
      says: /^sex "X{40}…" is not one of/,
      value: 'X'.repeat(500),
      shape: 'roster-rejection',
      writes: { Roster: 1, DataLoad: 1 },
    },
    {
      name: 'roster upload: no partnerId',
      send: upload(() => 'kind=CURRENT', `${HEADER}\n`),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /partnerId is required/,
      shape: 'route',
    },
    {
      name: 'roster upload: a NUL in the file name',
      send: upload(() => `partnerId=${partnerId}&kind=CURRENT&fileName=a%00b.csv`, `${HEADER}\n`),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /^fileName contains the control character U\+0000/,
      shape: 'route',
    },
    {
      name: 'roster upload: a 5,000-character partnerId',
      send: upload(() => `partnerId=${'P'.repeat(5000)}&kind=CURRENT`, `${HEADER}\n`),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /^partnerId is longer than 128/,
      value: 'P'.repeat(5000),
      shape: 'route',
    },
    {
      name: 'roster upload: an unknown partner',
      send: upload(() => 'partnerId=no-such-partner&kind=CURRENT', `${HEADER}\n`),
      status: 404,
      code: 'NOT_FOUND',
      says: /partner/,
      shape: 'route',
    },
    {
      name: 'roster upload: a JSON body',
      send: upload(() => `partnerId=${partnerId}&kind=CURRENT`, '{}', 'application/json'),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /text\/csv/,
      shape: 'route',
    },

    // Tokens.
    {
      name: 'token: none',
      send: gql(null, '{ partners(first: 1) { transactionTime } }'),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /token/,
    },
    { name: 'token: not a JWT', send: withToken(async () => 'not.a.jwt'), status: 401, code: 'UNAUTHENTICATED', says: /token/i },
    {
      name: 'token: 10 KB of garbage',
      send: withToken(async () => 'T'.repeat(10_000)),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /token/i,
      value: 'T'.repeat(10_000),
    },
    {
      name: 'token: expired',
      send: withToken(() => devToken({ role: 'admin' }, (jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60))),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /exp/,
    },
    {
      name: 'token: no exp',
      send: withToken(() => devToken({ role: 'admin' }, (jwt) => jwt)),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /exp/,
    },
    {
      name: 'token: an unknown role',
      send: withToken(() => devToken({ role: 'root' })),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /role/,
    },
    {
      name: 'token: a partner without partner_id',
      send: withToken(() => devToken({ role: 'partner' })),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /partner_id/,
    },
    {
      name: 'token: alg none',
      send: withToken(
        async () =>
          `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"role":"admin","exp":9999999999}').toString('base64url')}.`,
      ),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /token/i,
    },
    {
      name: 'token: a partner calling an admin mutation',
      send: gql('partner', 'mutation { createPartner(input: { name: "Sneaky" }) { id } }'),
      status: 200,
      code: 'FORBIDDEN',
      says: /.+/,
    },

    // Straight at the subgraphs.
    {
      name: 'subgraph: no identity header',
      send: subgraph('partners', null, '{ partners(first: 1) { transactionTime } }'),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /x-care-graph-identity/,
    },
    {
      name: 'subgraph: a forged identity',
      send: async () => ({
        ...(await subgraph('pop-health', null, '{ __typename }')()),
        headers: {
          'content-type': 'application/json',
          [IDENTITY_HEADER]: await new InternalAuth(randomBytes(32)).sign({ subject: 'm', role: 'admin' }, 'r', {
            service: 'pop-health',
            use: 'http',
            method: 'POST',
            target: '/graphql',
            body: JSON.stringify({ query: '{ __typename }' }),
          }),
        },
      }),
      status: 401,
      code: 'UNAUTHENTICATED',
      says: /.+/,
    },
    {
      name: 'subgraph: a NUL id with a valid identity',
      send: subgraph('care-requests', { subject: 's', role: 'service' }, 'query($id: ID!) { careRequest(id: $id) { id } }', { id: NUL }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^id contains the control character/,
    },
    {
      name: 'subgraph: a 100 KB name with a valid identity',
      send: subgraph('partners', { subject: 's', role: 'admin' }, 'mutation($n: String!) { createPartner(input: { name: $n }) { id } }', {
        n: LONG,
      }),
      status: 200,
      code: 'BAD_USER_INPUT',
      says: /^input\.name is longer/,
      value: LONG,
    },
    {
      name: 'subgraph: malformed JSON',
      send: async () => ({ ...(await subgraph('partners', { subject: 's', role: 'service' }, '')()), body: '{"query":' }),
      status: 400,
      code: 'BAD_REQUEST',
      says: /not valid JSON/,
    },
    {
      name: 'subgraph: a bad Date variable',
      send: subgraph(
        'pop-health',
        { subject: 's', role: 'service' },
        'query($d: Date!) { matchPatients(rosterId: "r", patients: [{ id: "p", givenName: "A", familyName: "B", dateOfBirth: $d }]) { patientId } }',
        { d: '1950-02-30' },
      ),
      status: 400,
      code: 'BAD_USER_INPUT',
      says: /"1950-02-30" is not a valid Date/,
    },
  ];

  const readAnswer = async (response: Response, shape: Case['shape']) => {
    const text = await response.text();
    const body = JSON.parse(text);
    if (shape === 'route') return { text, code: body.error?.code, message: body.error?.message };
    if (shape === 'import-rejection') {
      const [rejection] = body.data.importCareRequests.rejected;
      return { text, code: rejection ? 'REJECTED' : 'NONE', message: rejection?.reasons.join('; ') };
    }
    if (shape === 'roster-rejection') {
      const [rejection] = body.data.ingestRoster.rejectedRows;
      return { text, code: rejection ? 'REJECTED' : 'NONE', message: rejection?.reason };
    }
    return { text, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message };
  };

  it('holds at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, hostile) => {
    const before = await counts();
    const sent = await hostile.send();
    const response = await fetch(sent.url, { method: sent.method ?? 'POST', headers: sent.headers, body: sent.body });
    const answer = await readAnswer(response, hostile.shape);
    expect({ status: response.status, code: answer.code }).toEqual({ status: hostile.status, code: hostile.code });
    expect(answer.message).toMatch(hostile.says);
    // Never a stack trace or a file path; never more than a prefix of a long bad value.
    expect(answer.text).not.toMatch(/at .*\.(ts|js):\d+|\/work\/|node_modules/);
    if (hostile.secret) expect(answer.text).not.toContain(hostile.secret);
    if (hostile.value) {
      expect(answer.text.includes(hostile.value.slice(0, QUOTED_PREFIX + 1))).toBe(false);
      expect(answer.text.length).toBeLessThan(4000);
    }
    const after = await counts();
    const expected = { ...before };
    for (const [table, more] of Object.entries(hostile.writes ?? {})) expected[table as Table] += more;
    expect(after).toEqual(expected);
    // The services still answer.
    const health = await graph.post(
      await graph.as('admin'),
      '{ partners(first: 1) { transactionTime } careRequests(first: 1) { transactionTime } backfills(first: 1) { transactionTime } }',
    );
    expect(health.status).toBe(200);
    expect(health.body.errors).toBeUndefined();
  });
});
