/**
 * Matching off the service's thread: the matching threads give the same decisions as matching inline,
 * leave explanation details out when only summaries are read, and the roster index recovers when a
 * thread dies or a roster was evicted (it reloads the roster from the database).
 */
import { countTermFrequencies, generateSynthetic, type MatchDecision, normalize, type PersonInput } from '@care-graph/matching';
import type { PrismaClient } from '../src/db';
import { type MatchHost, matchHost, matchThreadCount } from '../src/roster-index/match-threads';
import { PostgresRosterIndex } from '../src/roster-index/postgres-index';

const { roster, patients } = generateSynthetic({ rosterSize: 2000, patients: 600, seed: 11 });

/** A decision as plain data (explanations handed over by a thread are read through getters). */
const plain = (d: MatchDecision) => ({
  ...d,
  explanation: d.explanation && {
    candidateId: d.explanation.candidateId,
    blockingKeys: d.explanation.blockingKeys,
    fields: d.explanation.fields,
    prior: d.explanation.prior,
    total: d.explanation.total,
    runnerUp: d.explanation.runnerUp,
    margin: d.explanation.margin,
    guards: d.explanation.guards,
    summary: d.explanation.summary,
  },
});

/** Roster rows as the index reads them from the database, counting the reads. */
function fakeDatabase(rosters: Record<string, PersonInput[]>) {
  const reads: string[] = [];
  const prisma = {
    async $queryRawUnsafe(_sql: string, rosterId: string) {
      reads.push(rosterId);
      return (rosters[rosterId] ?? []).map((p) => ({ ...p, dateOfBirth: new Date(`${p.dateOfBirth}T00:00:00Z`) }));
    },
    // No term frequencies kept (a roster made READY before they were): the threads count them.
    rosterTermFrequencies: { findUnique: async () => null },
  } as unknown as PrismaClient;
  return { prisma, reads };
}

describe('matching threads', () => {
  const hosts: MatchHost[] = [];
  const host = (threads: string) => {
    const made = matchHost({ MATCH_THREADS: threads });
    hosts.push(made);
    return made;
  };
  afterAll(() => Promise.all(hosts.map((h) => h.close())));

  it('decide exactly as matching on the service thread does, split across threads', async () => {
    const inline = host('0');
    const threaded = host('2');
    await inline.load('r', roster, null);
    await threaded.load('r', roster, null);
    const expected = (await inline.match('r', patients, true))!.map(plain);
    const actual = (await threaded.match('r', patients, true))!.map(plain);
    expect(actual).toEqual(expected);
    expect(expected.filter((d) => d.accepted).length).toBeGreaterThan(300);
  });

  it("weigh by the roster's kept term frequencies, and count the same ones when none were kept", async () => {
    const threaded = host('2');
    const kept = countTermFrequencies(roster.map(normalize));
    await threaded.load('counted', roster, null);
    await threaded.load('kept', roster, kept);
    const counted = (await threaded.match('counted', patients, true))!.map(plain);
    expect((await threaded.match('kept', patients, true))!.map(plain)).toEqual(counted);
    expect(counted.some((d) => d.explanation?.fields.some((f) => f.frequencyAdjustment !== 0))).toBe(true);
    // Kept frequencies that make every family name common lower every exact family-name weight.
    const common = { ...kept, counts: { ...kept.counts, familyName: Object.fromEntries(roster.map((p) => [normalize(p).family, 500])) } };
    await threaded.load('common', roster, common);
    const lowered = (await threaded.match('common', patients, true))!.map(plain);
    const familyWeight = (d: ReturnType<typeof plain>) =>
      d.explanation?.fields.find((f) => f.field === 'familyName' && f.level === 'exact')?.weight;
    const pairs = counted.map((d, i) => [familyWeight(d), familyWeight(lowered[i])]).filter(([a, b]) => a !== undefined && b !== undefined);
    expect(pairs.length).toBeGreaterThan(100);
    for (const [before, after] of pairs) expect(after!).toBeLessThan(before!);
  });

  it('hand over summaries only when the details are not asked for', async () => {
    const threaded = host('1');
    await threaded.load('r', roster, null);
    const decisions = (await threaded.match('r', patients.slice(0, 50), false))!;
    const explained = decisions.find((d) => d.explanation)!;
    expect(explained.explanation!.summary).toMatch(/^(CERTAIN|PROBABLE|POSSIBLE|NONE)/);
    expect(() => explained.explanation!.fields).toThrow('without explanation details');
  });

  it('answer null for a roster they do not hold', async () => {
    expect(await host('1').match('unknown', patients.slice(0, 3), true)).toBeNull();
    expect(await host('0').match('unknown', patients.slice(0, 3), true)).toBeNull();
  });

  it.each(['-1', '1.5', 'many'])('refuse MATCH_THREADS=%s with a clear message', (value) => {
    expect(() => matchThreadCount({ MATCH_THREADS: value })).toThrow(`MATCH_THREADS must be a whole number from 0 to 64`);
  });

  it('default to the cores but one, at least one', () => {
    expect(matchThreadCount({})).toBeGreaterThanOrEqual(1);
  });
});

describe('PostgresRosterIndex on matching threads', () => {
  const other = generateSynthetic({ rosterSize: 500, patients: 100, seed: 12 });

  it('reads a roster once, evicts the least recently used, and reloads an evicted roster', async () => {
    const { prisma, reads } = fakeDatabase({ a: roster, b: other.roster });
    const index = new PostgresRosterIndex(prisma, matchHost({ MATCH_THREADS: '1' }), 1);
    try {
      const first = await index.match({ id: 'a', kind: 'BACKFILL' }, patients.slice(0, 100));
      await index.match({ id: 'a', kind: 'BACKFILL' }, patients.slice(100, 200));
      expect(reads).toEqual(['a']);
      await index.match({ id: 'b', kind: 'BACKFILL' }, other.patients); // capacity 1: evicts a
      const again = await index.match({ id: 'a', kind: 'BACKFILL' }, patients.slice(0, 100));
      expect(reads).toEqual(['a', 'b', 'a']);
      expect(again.map(plain)).toEqual(first.map(plain));
    } finally {
      await index.close();
    }
  });

  it('recovers when a matching thread dies: the batch in flight fails, the next one reloads the roster', async () => {
    const { prisma, reads } = fakeDatabase({ a: roster });
    const host = matchHost({ MATCH_THREADS: '1' });
    const index = new PostgresRosterIndex(prisma, host);
    try {
      const before = await index.match({ id: 'a', kind: 'BACKFILL' }, patients.slice(0, 100));
      const [thread] = (host as unknown as { threads: import('node:worker_threads').Worker[] }).threads;
      const inFlight = index.match({ id: 'a', kind: 'BACKFILL' }, patients);
      await thread.terminate();
      await expect(inFlight).rejects.toThrow('A matching thread stopped');
      const after = await index.match({ id: 'a', kind: 'BACKFILL' }, patients.slice(0, 100));
      expect(after.map(plain)).toEqual(before.map(plain));
      expect(reads).toEqual(['a', 'a']);
    } finally {
      await index.close();
    }
  });
});
