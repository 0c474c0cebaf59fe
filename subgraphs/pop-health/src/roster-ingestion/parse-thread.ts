/**
 * The ingesting thread's side of the parse worker (parse-worker.ts): feeds it the upload as it arrives,
 * with flow control, and hands on what it parsed as an async iterator of events, batches first, then the
 * summary.
 */
import { on } from 'node:events';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { tsWorker } from '@care-graph/service-kit';
import type { ParsedBatch, ParseMessage, ParseSummary } from './parse-worker';

/**
 * Flow control: the upload is paused while this many file chunks wait for the parser, or this many parsed
 * batches wait for the database. Memory stays bounded (4 MB of file, 12,000 parsed rows) and yet the parser
 * has work while this thread is inside an insert (a PGlite statement holds the thread until it is done).
 * Many small chunks and batches beat few large ones (bench/RESULTS.md, "Figures behind design decisions":
 * ingestion flow control).
 */
const MAX_CHUNKS_IN_FLIGHT = 64;
const MAX_BATCHES_WAITING = 6;

/**
 * A parse worker takes a noticeable time to start (module loading; bench/RESULTS.md, "Figures behind design
 * decisions": a spare parse worker), so one is kept started and idle for the next ingestion, and replaced
 * once that ingestion is over. Unreferenced: an idle spare never keeps the process alive.
 */
let spare: Worker | undefined;

/** Starts the idle parse worker ahead of the next ingestion (the service calls it when it starts). */
export function prepareRosterIngestion(): void {
  if (spare) return;
  const worker = tsWorker(path.join(__dirname, 'parse-worker.ts'));
  worker.unref();
  worker.on('error', () => {
    if (spare === worker) spare = undefined;
  });
  spare = worker;
}

function takeParseWorker(): Worker {
  prepareRosterIngestion();
  const worker = spare!;
  spare = undefined;
  worker.ref();
  return worker;
}

/**
 * Why parsing stopped: the file is not a roster (`file`: wrong header, empty), not CSV (`csv`), or the
 * upload or the worker broke (`other`).
 */
export class ParseFailure extends Error {
  constructor(
    readonly kind: 'file' | 'csv' | 'other',
    message: string,
  ) {
    super(message);
  }
}

export type ParseEvent = { batch: ParsedBatch } | { summary: ParseSummary };

/**
 * Parses `source` as a roster file on a parse worker while it arrives: yields the batches of accepted rows
 * in file order, then the summary, and throws ParseFailure when the file or the parsing fails. `onChunk`
 * sees every chunk of the file as it is read. Whichever way the iteration ends (the summary, a failure, or
 * the consumer stopping), the rest of `source` is drained, the worker is terminated and a spare prepared.
 */
export async function* parseRoster(
  source: Readable,
  options: { rosterPatients: boolean; onChunk?: (chunk: Buffer | string) => void },
): AsyncGenerator<ParseEvent, void, undefined> {
  const worker = takeParseWorker();
  let inFlight = 0; // chunks sent to the worker and not yet acknowledged
  let waiting = 0; // batches the worker sent and this iterator has not yet handed on
  const flow = () => {
    const full = inFlight >= MAX_CHUNKS_IN_FLIGHT || waiting >= MAX_BATCHES_WAITING;
    if (full && !source.isPaused()) source.pause();
    else if (!full && source.isPaused()) source.resume();
  };
  // Counted as they arrive, not as the consumer pulls: the upload resumes while this thread inserts.
  const count = (message: ParseMessage) => {
    if (message.ack) inFlight -= 1;
    if (message.batch) waiting += 1;
    flow();
  };
  const feed = (chunk: Buffer | string) => {
    options.onChunk?.(chunk);
    inFlight += 1;
    worker.postMessage({ chunk: typeof chunk === 'string' ? Buffer.from(chunk) : chunk });
    flow();
  };
  const end = () => worker.postMessage({ end: true });
  const uploadFailed = new AbortController();
  // Registered before the worker hears anything, so that no message is missed.
  const messages = on(worker, 'message', { signal: uploadFailed.signal }) as AsyncIterableIterator<[ParseMessage]>;
  worker.on('message', count);
  worker.postMessage({ options: { rosterPatients: options.rosterPatients } });
  // The error listener stays after the iteration: an upload failing while it drains must not be unhandled.
  source.on('error', (error) => uploadFailed.abort(error));
  source.on('data', feed).on('end', end);
  try {
    for await (const [message] of messages) {
      if (message.batch) {
        waiting -= 1;
        flow();
        yield { batch: message.batch };
      }
      if (message.error) throw new ParseFailure(message.error.kind, message.error.message);
      if (message.done) {
        yield { summary: message.done };
        return;
      }
    }
  } catch (error) {
    if (error instanceof ParseFailure) throw error;
    const cause = uploadFailed.signal.aborted ? (uploadFailed.signal.reason as Error) : (error as Error); // the upload, or the worker itself
    throw new ParseFailure('other', cause.message);
  } finally {
    worker.off('message', count);
    source.off('data', feed).off('end', end);
    source.resume();
    await worker.terminate();
    prepareRosterIngestion();
  }
}
