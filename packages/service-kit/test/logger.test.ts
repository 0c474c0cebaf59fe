/**
 * The logger prints at `LOG_LEVEL` and above, and with `LOG_CAPTURE_DIR` also copies every entry at every
 * level to a file of its own, whatever it prints: the log scan reads everything without a louder console.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src';

describe('createLogger', () => {
  let dir: string;
  let printed: string[];
  const spies: jest.SpyInstance[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'logger-'));
    printed = [];
    for (const stream of [process.stdout, process.stderr]) {
      spies.push(jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0));
    }
  });
  afterEach(async () => {
    for (const spy of spies.splice(0)) spy.mockRestore();
    await rm(dir, { recursive: true, force: true });
  });

  const entries = (lines: string[]) => lines.map((line) => JSON.parse(line)).map(({ level, message, n }) => ({ level, message, n }));

  it('prints at LOG_LEVEL and above and captures every level', async () => {
    const logger = createLogger('svc', { LOG_LEVEL: 'warn', LOG_CAPTURE_DIR: dir });
    logger.debug('d', { n: 1 });
    logger.info('i', { n: 2 });
    logger.warn('w', { n: 3 });
    logger.error('e', { n: 4 });
    expect(entries(printed)).toEqual([
      { level: 'warn', message: 'w', n: 3 },
      { level: 'error', message: 'e', n: 4 },
    ]);
    const captured = (await readFile(path.join(dir, `svc-${process.pid}.log`), 'utf8')).trimEnd().split('\n');
    expect(entries(captured).map((entry) => entry.level)).toEqual(['debug', 'info', 'warn', 'error']);
  });

  it('defaults to info without LOG_LEVEL', () => {
    const logger = createLogger('svc', {});
    logger.debug('d', { n: 1 });
    logger.info('i', { n: 2 });
    expect(entries(printed)).toEqual([{ level: 'info', message: 'i', n: 2 }]);
  });

  it("keeps the entry's own message and level when fields carry the same names (an error's text becomes detail)", () => {
    createLogger('svc', {}).error('failed to start', {
      message: 'Port 4000 is in use',
      level: 'debug',
      service: 'other',
      requestId: 'r-1',
    });
    expect(JSON.parse(printed[0])).toEqual({
      time: expect.any(String),
      level: 'error',
      service: 'svc',
      message: 'failed to start',
      detail: 'Port 4000 is in use',
      requestId: 'r-1',
    });
  });
});
