/**
 * The error-masking rule on its own (no server): public codes pass without server detail; anything else is
 * masked with the request id and logged without the operation's variables.
 */

import { type Logger, PUBLIC_ERROR_CODES } from '@care-graph/service-kit';
import type { GraphQLFormattedError } from 'graphql';
import { maskError, maskErrors } from '../src/plugins/error-masking';

function recordingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

const location = { path: ['careRequest', 'patient'], locations: [{ line: 1, column: 3 }] };

describe('maskError', () => {
  it.each([...PUBLIC_ERROR_CODES])('passes a %s error as it is, without stacktrace or exception, and logs nothing', (code) => {
    const { logger, lines } = recordingLogger();
    const error: GraphQLFormattedError = {
      message: 'Care request cr-1 was not found.',
      ...location,
      extensions: {
        code,
        stacktrace: ['Error: …', '    at resolver (care-request.ts:1:1)'],
        exception: { detail: 'server side' },
        field: 'id',
      },
    };
    expect(maskError(error, 'req-1', logger)).toEqual({
      message: 'Care request cr-1 was not found.',
      ...location,
      extensions: { code, field: 'id' },
    });
    expect(lines).toEqual([]);
  });

  it.each([
    ['an unexpected code', { code: 'INTERNAL_SERVER_ERROR' }],
    ['a code that is not a string', { code: 42 }],
    ['no code', undefined],
  ])('masks an error with %s, quoting the request id, and logs its detail', (_label, extensions) => {
    const { logger, lines } = recordingLogger();
    const error: GraphQLFormattedError = {
      message: 'relation "patient" does not exist',
      ...location,
      ...(extensions ? { extensions } : {}),
    };
    expect(maskError(error, 'req-2', logger)).toEqual({
      message: 'Internal server error. Quote request id req-2 when reporting it.',
      ...location,
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-2' },
    });
    expect(lines).toEqual([
      {
        level: 'error',
        message: 'unexpected error',
        fields: { requestId: 'req-2', code: extensions?.code, message: error.message, path: 'careRequest.patient' },
      },
    ]);
  });

  it('says "unknown" when there is no request id', () => {
    const { logger } = recordingLogger();
    expect(maskError({ message: 'boom' }, undefined, logger).message).toBe(
      'Internal server error. Quote request id unknown when reporting it.',
    );
  });

  it('never logs the variables an error carries', () => {
    const { logger, lines } = recordingLogger();
    const ssn = '123456789';
    maskError({ message: 'failed', extensions: { code: 'OOPS', variables: { ssn }, exception: { input: { ssn } } } }, 'req-3', logger);
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(ssn);
  });
});

describe('maskErrors', () => {
  it('masks each error of a response by the same rule, in order', () => {
    const { logger, lines } = recordingLogger();
    const errors: GraphQLFormattedError[] = [
      { message: 'bad input', extensions: { code: 'BAD_USER_INPUT' } },
      { message: 'database down' },
      { message: 'not yours', extensions: { code: 'FORBIDDEN' } },
    ];
    expect(maskErrors(errors, 'req-4', logger).map((e) => [e.message, e.extensions?.code])).toEqual([
      ['bad input', 'BAD_USER_INPUT'],
      ['Internal server error. Quote request id req-4 when reporting it.', 'INTERNAL_SERVER_ERROR'],
      ['not yours', 'FORBIDDEN'],
    ]);
    expect(lines).toHaveLength(1);
  });
});
