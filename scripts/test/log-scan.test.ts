/**
 * The log scan's rules: each fires on a planted leak and stays quiet on lines our services really log
 * (copied from a run's captures at debug level), on uuids, ISO timestamps, request ids, counts and ports.
 */
import { CANARY_PATIENT, findLeaks, leakRules, patientNames, redact } from '../log-scan';

const rules = leakRules(patientNames());
const firing = (line: string) => findLeaks(line, rules).flatMap((leak) => leak.rules);

/** Lines from the captures of a full `npm test` run. */
const REAL_LINES = [
  '{"time":"2026-12-01T13:26:21.576Z","level":"info","service":"gateway","message":"listening","url":"http://127.0.0.1:34987/graphql"}',
  '{"time":"2026-12-01T13:26:21.612Z","level":"warn","service":"gateway","message":"refused request","requestId":"e1453f58-dc2a-47ab-a82e-329cd6841b79","status":400,"code":"BAD_REQUEST","path":"/graphql"}',
  '{"time":"2026-12-01T13:26:21.750Z","level":"warn","service":"gateway","message":"refused request","requestId":"ee57355a-4129-4345-a3ae-a407f8eadf4d","status":415,"code":"UNSUPPORTED_MEDIA_TYPE","path":"/graphql"}',
  '{"time":"2026-12-01T13:26:17.804Z","level":"info","service":"care-requests","message":"applied migrations","migrations":["20261123202042_init","20261123204810_data_load"]}',
  '{"time":"2026-12-01T13:27:15.751Z","level":"info","service":"care-requests","message":"seeded demo data","ms":7775}',
  '{"time":"2026-12-01T13:27:18.658Z","level":"info","service":"care-requests","message":"stopping","signal":"SIGTERM"}',
  '{"time":"2026-12-01T13:27:08.913Z","level":"info","service":"partners","message":"seeded demo data","ms":1014}',
];

/** Shapes that are not SSNs though they are full of digits. */
const DIGIT_SHAPES = [
  '6f1c2a3e-0000-4000-8000-0000000000a1',
  '6f1c2a3e-0000-4000-8000-123456789abc',
  'abc12345-6789-4000-8000-a123456789ab',
  '2026-12-01T13:27:08.913Z',
  '2026-12-01T13:27:08.913456789Z',
  '1764595628913',
  '1764595628',
  '12345678',
  '1234567890',
  '{"ms":0.123456789}',
  '{"rows":123456789.5}',
  'http://127.0.0.1:45785/graphql',
  'pt-000001 cr-010000',
  'M123456789',
  '303-555-0100',
  '1-123-45-6789',
  '123-45-6789-0',
  '20261123202042_init',
];

describe('the full SSN rule', () => {
  it.each(['ssn=123456789', 'ssn 123-45-6789.', 'value "987-65-4320" is not valid', '[123456789]', `canary ${CANARY_PATIENT.ssn}`])(
    'fires on %s',
    (line) => {
      expect(firing(line)).toEqual(['full SSN']);
    },
  );

  it.each(DIGIT_SHAPES)('stays quiet on %s', (shape) => {
    expect(firing(`{"message":"x","value":"${shape}"}`)).toEqual([]);
  });
});

describe('the request body rule', () => {
  it.each([
    ['a GraphQL body', '{"message":"bad","body":"{\\"query\\":\\"{ partners { edges { node { id } } } }\\"}"}'],
    ['its variables', 'body {"variables": {"input": {}}}'],
    ['an operation', 'received mutation { importCareRequests(records: []) { received } }'],
    ['a named operation', 'query Partners($first: Int) { partners(first: $first) { edges { node { id } } } }'],
    ['a selection set', '{ partners { edges } }'],
    ['a roster file header', 'first line: member_id,first_name,middle_name,last_name,date_of_birth'],
    ['a part of the header', 'columns date_of_birth,sex,ssn'],
    ['an NDJSON import record', '{"id":"cr-1","createdAt":"2026-04-01T00:00:00Z","status":"COMPLETED","patient":{"id":"pt-1"}}'],
    ['a roster patient in a JSON string', '{"message":"row {\\"memberId\\":\\"M1\\",\\"dateOfBirth\\":\\"1950-06-05\\"}"}'],
  ])('fires on %s', (_label, line) => {
    expect(firing(line)).toEqual(['request body']);
  });

  it.each([
    'Cannot query field "nope" on type "Query".',
    'GET requests cannot be used to execute mutations',
    'the header lacks the columns member_id, first_name',
    '{"message":"unexpected error","requestId":"e1453f58-dc2a-47ab-a82e-329cd6841b79","code":"INTERNAL_SERVER_ERROR","path":"careRequests.edges"}',
    '{"message":"resolver error","path":"importCareRequests","errors":[{"code":"BAD_USER_INPUT"}]}',
  ])('stays quiet on %s', (line) => {
    expect(firing(line)).toEqual([]);
  });
});

describe('the patient name rule', () => {
  it.each([
    ['a canary name', `could not match ${CANARY_PATIENT.givenName}`],
    ['a synthetic family name', '{"message":"duplicate","value":"García-López"}'],
    ['a name in capitals', 'no match for SMITH'],
    ['a roster test name', 'skipped Peggy'],
    ['a two-word name', 'given "Mary Ann"'],
  ])('fires on %s', (_label, line) => {
    expect(firing(line)).toEqual(['patient name']);
  });

  it('stays quiet on names inside other words', () => {
    expect(firing('Smithsonian annual Marys leeway')).toEqual([]);
  });
});

describe('the scan', () => {
  it.each(REAL_LINES)('finds nothing in a real log line: %s', (line) => {
    expect(findLeaks(line, rules)).toEqual([]);
  });

  it('reports each offending line by number with the rules it breaks, redacted', () => {
    const text = [
      REAL_LINES[0],
      `{"message":"bad row","value":"Lee 123-45-6780","body":"{\\"query\\":\\"{ a }\\"}"}`,
      REAL_LINES[1],
      '',
    ].join('\n');
    expect(findLeaks(text, rules)).toEqual([
      {
        lineNumber: 2,
        rules: ['full SSN', 'request body', 'patient name'],
        excerpt: '{"message":"bad row","value":"[patient name] [full SSN]","body":"{[request body]\\"{ a }\\"}"}',
      },
    ]);
  });

  it('cuts a long excerpt', () => {
    const [leak] = findLeaks(`${'x'.repeat(1000)} ${CANARY_PATIENT.familyName}`, rules);
    expect(leak.excerpt).toHaveLength(301);
  });

  it('collects the fixtures and demo data names', () => {
    const names = patientNames();
    for (const name of ['Mary', 'Smith', "O'Brien", 'Van der Berg', 'Clara', 'Nameless', CANARY_PATIENT.familyName]) {
      expect(names).toContain(name);
    }
  });

  it('redacts every occurrence', () => {
    expect(redact('123456789 and 987654321', rules)).toBe('[full SSN] and [full SSN]');
  });
});
