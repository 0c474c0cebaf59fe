/**
 * Reads an NDJSON stream line by line without holding the file in memory, numbering lines from 1.
 * Blank lines are skipped (but still counted, so line numbers match an editor's).
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface NdjsonLine {
  line: number;
  value?: unknown;
  /** Set when the line is not valid JSON. */
  error?: string;
}

export async function* readNdjson(input: Readable): AsyncGenerator<NdjsonLine> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      yield { line, error: `not valid JSON (${(error as Error).message})` };
    }
  }
}
