/**
 * The log scan's rules: what must never appear in a log line — a full SSN, a request body, a patient's
 * name. Pure functions over text; `log-scan-teardown.ts` runs them over everything the test suite logged.
 */
import { DEMO_PATIENT_COUNT, demoPatients } from '@care-graph/demo-data';
import { FAMILY_NAMES, GIVEN_NAMES } from '@care-graph/matching';
import { ROSTER_PATIENT_FIELDS } from '../subgraphs/pop-health/src/roster-patient-fields';
import { HEADER as ROSTER_TEST_HEADER, ROWS as ROSTER_TEST_ROWS } from '../subgraphs/pop-health/test/roster-rows';

/**
 * A patient no fixture or demo record has: tests that send PHI where it must be refused (hostile input)
 * use these values, so a leak of them anywhere in a log line fails the scan by name as well as by shape.
 */
export const CANARY_PATIENT = {
  givenName: 'Quennell',
  familyName: 'Thistlewaite',
  ssn: '271-82-8182',
} as const;

export interface LeakRule {
  /** What leaked, as the report names it (and as the redaction marks it). */
  name: string;
  /** Global, so that `redact` can replace every occurrence. */
  pattern: RegExp;
}

/** A letter, digit or underscore in any script: the neighbours that make a match part of a longer word. */
const WORD = String.raw`[\p{L}\p{N}_]`;

/**
 * A full SSN: nine digits in a row, or ddd-dd-dddd, standing alone. Not part of a longer digit run (epoch
 * times, long counts), of a hex word (uuids: a 9-digit stretch there touches a letter or another digit), of
 * a decimal fraction (durations), or of a longer dash-joined number.
 */
const SSN = new RegExp(String.raw`(?<!${WORD}|\d[.,-])(?:\d{9}|\d{3}-\d{2}-\d{4})(?!${WORD}|[.,-]\d)`, 'gu');

/** A JSON key, also as it appears once a JSON text is embedded in another JSON string (`\"key\":`). */
const jsonKey = (name: string) => String.raw`\\*"${name}\\*"\s*:`;

// Roster fields that are ordinary words for a log field too ("state" of a run); the rest identify a person.
const GENERIC_FIELDS = new Set(['id', 'sex', 'city', 'state']);
const PERSON_KEYS = [...ROSTER_PATIENT_FIELDS.map((field) => field.name).filter((name) => !GENERIC_FIELDS.has(name)), 'patient', 'line1'];
const CSV_COLUMNS = ROSTER_PATIENT_FIELDS.flatMap((field) => (field.fileColumn ? [field.fileColumn] : [])).join('|');

/**
 * A request body or a record from one: a GraphQL request's keys, operation text (`mutation {`, `query Name(`,
 * a selection set), three or more roster-file columns joined by bare commas (a CSV header), or the key of a
 * person's field (an NDJSON import record, a roster patient).
 */
const BODY = new RegExp(
  [
    jsonKey('(?:query|variables|operationName)'),
    String.raw`\b(?:query|mutation|subscription)\b\s*(?:[A-Za-z_]\w*\s*)?[({]`,
    String.raw`\{\s*[A-Za-z_]\w*\s*(?:\([^)]*\)\s*)?\{`,
    String.raw`\b(?:${CSV_COLUMNS})(?:,(?:${CSV_COLUMNS})){2,}\b`,
    jsonKey(`(?:${PERSON_KEYS.join('|')})`),
  ].join('|'),
  'g',
);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A name standing as a word of its own, as written or in capitals; longest first, so "Mary Ann" wins over "Mary". */
function namePattern(names: Iterable<string>): RegExp {
  const variants = new Set<string>();
  for (const name of names) {
    const trimmed = name.trim();
    if (trimmed.length < 2) continue;
    variants.add(trimmed);
    variants.add(trimmed.toUpperCase());
  }
  const alternatives = [...variants].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(`(?<!${WORD})(?:${alternatives.join('|')})(?!${WORD})`, 'gu');
}

/** The three rules, the names rule over `names` (the fixtures' and demo data's, see `patientNames`). */
export function leakRules(names: Iterable<string>): LeakRule[] {
  return [
    { name: 'full SSN', pattern: SSN },
    { name: 'request body', pattern: BODY },
    { name: 'patient name', pattern: namePattern(names) },
  ];
}

/**
 * Every patient name the tests and the demo send: the synthetic generator's given and family names (the demo
 * draws from them too), the demo patients' own names, the roster tests' rows and the canary patient. Names
 * written inline in a single test are not collected; tests that send PHI to be refused use `CANARY_PATIENT`.
 */
export function patientNames(): string[] {
  const names = new Set<string>([...GIVEN_NAMES.F, ...GIVEN_NAMES.M, ...FAMILY_NAMES, CANARY_PATIENT.givenName, CANARY_PATIENT.familyName]);
  for (const patient of demoPatients(DEMO_PATIENT_COUNT)) {
    for (const name of [patient.givenName, patient.middleName, patient.familyName]) if (name) names.add(name);
  }
  const columns = ROSTER_TEST_HEADER.split(',');
  for (const row of ROSTER_TEST_ROWS) {
    const cells = row.split(',');
    for (const column of ['first_name', 'middle_name', 'last_name']) {
      const cell = cells[columns.indexOf(column)];
      if (cell) names.add(cell);
    }
  }
  return [...names];
}

/** `line` with every match of every rule replaced by `[<rule name>]`, so that a report never repeats the leak. */
export function redact(line: string, rules: readonly LeakRule[]): string {
  return rules.reduce((text, rule) => text.replace(rule.pattern, `[${rule.name}]`), line);
}

export interface Leak {
  /** 1-based. */
  lineNumber: number;
  rules: string[];
  /** The line, redacted by every rule and cut to `MAX_EXCERPT` characters. */
  excerpt: string;
}

const MAX_EXCERPT = 300;

/** The lines of `text` that break a rule, each with the rules it breaks and its redacted excerpt. */
export function findLeaks(text: string, rules: readonly LeakRule[]): Leak[] {
  const leaks: Leak[] = [];
  text.split('\n').forEach((line, index) => {
    const broken = rules.filter((rule) => line.search(rule.pattern) !== -1).map((rule) => rule.name);
    if (broken.length === 0) return;
    const excerpt = redact(line, rules);
    leaks.push({
      lineNumber: index + 1,
      rules: broken,
      excerpt: excerpt.length > MAX_EXCERPT ? `${excerpt.slice(0, MAX_EXCERPT)}…` : excerpt,
    });
  });
  return leaks;
}
