/**
 * The contract's scalars. `DateTime` is an instant, always written in UTC with milliseconds; `Date` is a
 * calendar day (`YYYY-MM-DD`), carried in JavaScript as midnight UTC of that day (what Prisma returns
 * for `@db.Date`).
 */

import { quote } from '@care-graph/limits';
import { formatCalendarDate, parseCalendarDate, parseInstant } from '@care-graph/time';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

export { formatCalendarDate };

function scalarInput(kindName: string, parse: (value: string) => Date | null, example: string) {
  return (value: unknown): Date => {
    if (typeof value !== 'string') throw new GraphQLError(`${kindName} must be a string such as "${example}".`);
    const parsed = parse(value);
    if (!parsed) throw new GraphQLError(`${quote(value)} is not a valid ${kindName}; use the form "${example}".`);
    return parsed;
  };
}

function toDate(value: unknown, kindName: string): Date {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (typeof value === 'string' || typeof value === 'number') {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new GraphQLError(`Cannot serialize ${String(value)} as ${kindName}.`);
}

const parseDateTime = scalarInput('DateTime', parseInstant, '2026-02-06T01:18:32.180Z');
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 instant with a zone; always returned in UTC with milliseconds, e.g. 2026-02-06T01:18:32.180Z.',
  serialize: (value) => toDate(value, 'DateTime').toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string such as "2026-02-06T01:18:32.180Z".');
    return parseDateTime(ast.value);
  },
});

const parseDate = scalarInput('Date', parseCalendarDate, '2026-02-06');
export const DateScalar = new GraphQLScalarType<Date, string>({
  name: 'Date',
  description: 'A calendar day, YYYY-MM-DD.',
  serialize: (value) => {
    if (typeof value === 'string' && parseCalendarDate(value)) return value;
    return formatCalendarDate(toDate(value, 'Date'));
  },
  parseValue: parseDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Date must be a string such as "2026-02-06".');
    return parseDate(ast.value);
  },
});
