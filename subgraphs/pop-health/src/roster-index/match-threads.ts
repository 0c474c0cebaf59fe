/**
 * Where matching runs. Matching is CPU work; on the service's own thread it would queue behind, and hold
 * up, everything else the service does: HTTP, GraphQL, the database (PGlite runs on that thread too). So by
 * default it runs on worker threads, one per core but one (`MATCH_THREADS`; 0 = on the service's thread).
 * Each thread holds its own copy of the rosters being matched; a batch is split across the threads. While a
 * thread matches one batch, the service's thread reads and answers the next ones: that overlap is what
 * takes `matchPatients` past its throughput target (see bench/RESULTS.md, "Figures behind design decisions", matching threads).
 */
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { MatchDecision, PersonInput, TermFrequencies } from '@care-graph/matching';
import { tsWorker } from '@care-graph/service-kit';
import { packPeople } from '../roster-patient-fields';
import { decisionsOf, type MatchAnswer, type MatchRequest, RosterMatcher } from './match-worker';

export interface MatchHost {
  /** Gives the host a roster's patients and term frequencies (null: count them); it normalises and indexes them. */
  load(rosterId: string, rosterPatients: PersonInput[], termFrequencies: TermFrequencies | null): Promise<void>;
  /** Forgets a roster. */
  drop(rosterId: string): void;
  /**
   * Decisions for `people` in order, or null when the host does not hold the roster (load it, then retry).
   * Without `details`, explanations carry their summary only.
   */
  match(rosterId: string, people: PersonInput[], details: boolean): Promise<MatchDecision[] | null>;
  close(): Promise<void>;
}

/** The number of matching threads from `MATCH_THREADS` (default: the cores but one, at least one). */
export function matchThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.MATCH_THREADS;
  if (value === undefined || value === '') return Math.max(1, os.availableParallelism() - 1);
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0 || count > 64) {
    throw new Error(`MATCH_THREADS must be a whole number from 0 to 64 (0 = match on the service's own thread); got "${value}".`);
  }
  return count;
}

export function matchHost(env: NodeJS.ProcessEnv = process.env): MatchHost {
  const count = matchThreadCount(env);
  return count === 0 ? new InlineMatchHost() : new ThreadMatchHost(count);
}

/** Matching on the service's own thread. */
class InlineMatchHost implements MatchHost {
  private readonly matcher = new RosterMatcher();

  async load(rosterId: string, rosterPatients: PersonInput[], termFrequencies: TermFrequencies | null): Promise<void> {
    this.matcher.load(rosterId, rosterPatients, termFrequencies);
  }

  drop(rosterId: string): void {
    this.matcher.drop(rosterId);
  }

  async match(rosterId: string, people: PersonInput[]): Promise<MatchDecision[] | null> {
    return this.matcher.match(rosterId, people);
  }

  async close(): Promise<void> {}
}

interface Pending {
  resolve(answer: MatchAnswer): void;
  reject(error: Error): void;
}

/**
 * Matching on worker threads, started at the first roster load. A thread that dies takes its rosters with
 * it: its calls fail, the host starts afresh, and the next batch reloads the roster (`match` answers null).
 */
class ThreadMatchHost implements MatchHost {
  private threads: Worker[] | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly count: number) {}

  private start(): Worker[] {
    if (this.threads) return this.threads;
    const threads = Array.from({ length: this.count }, () => {
      const worker = tsWorker(path.join(__dirname, 'match-worker.ts'));
      worker.unref(); // an idle matching thread never keeps the process alive
      worker.on('message', (answer: MatchAnswer) => {
        const call = this.pending.get(answer.id);
        this.pending.delete(answer.id);
        if (answer.error) call?.reject(new Error(answer.error));
        else call?.resolve(answer);
      });
      // Only a thread of the current set resets the host (not one being terminated by an earlier reset).
      worker.on('error', (error) => this.threads?.includes(worker) && this.reset(error));
      worker.on(
        'exit',
        (code) => this.threads?.includes(worker) && this.reset(new Error(`A matching thread stopped (exit code ${code}).`)),
      );
      return worker;
    });
    this.threads = threads;
    return threads;
  }

  /** Forgets every thread and fails the calls in flight; the next call starts new threads. */
  private reset(error: Error): void {
    const threads = this.threads;
    this.threads = undefined;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    for (const thread of threads ?? []) void thread.terminate();
  }

  private call(thread: Worker, request: Omit<Extract<MatchRequest, { id: number }>, 'id'>): Promise<MatchAnswer> {
    const id = this.nextId++;
    return new Promise<MatchAnswer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      thread.postMessage({ ...request, id });
    });
  }

  async load(rosterId: string, rosterPatients: PersonInput[], termFrequencies: TermFrequencies | null): Promise<void> {
    const packed = packPeople(rosterPatients);
    await Promise.all(this.start().map((thread) => this.call(thread, { load: { rosterId, rosterPatients: packed, termFrequencies } })));
  }

  drop(rosterId: string): void {
    for (const thread of this.threads ?? []) thread.postMessage({ drop: rosterId });
  }

  async match(rosterId: string, people: PersonInput[], details: boolean): Promise<MatchDecision[] | null> {
    const threads = this.start();
    const size = Math.ceil(people.length / threads.length);
    const parts = threads
      .map((thread, i) => ({ thread, people: people.slice(i * size, (i + 1) * size) }))
      .filter((part) => part.people.length > 0);
    const answers = await Promise.all(
      parts.map((part) => this.call(part.thread, { match: { rosterId, people: packPeople(part.people), details } })),
    );
    if (answers.some((answer) => answer.missing)) return null;
    return answers.flatMap((answer) => decisionsOf(answer.decisions!));
  }

  async close(): Promise<void> {
    const threads = this.threads;
    this.threads = undefined;
    await Promise.all((threads ?? []).map((thread) => thread.terminate()));
  }
}
