/**
 * A matching thread: holds the rosters it is given, each as an in-memory blocking index, and answers batches
 * of people with their match decisions (normalise, find candidates, decide). See match-threads.ts.
 *
 * Messages: `{ id, load: { rosterId, rosterPatients, termFrequencies } }` (null frequencies: counted here), `{ id, match: { rosterId, people, details } }`,
 * `{ drop: rosterId }`, people and roster patients packed as columns (`packPeople`). Answers: `{ id }`
 * (loaded), `{ id, decisions }` (a `DecisionBatch`), `{ id, missing: true }` (roster not held), `{ id, error }`.
 *
 * Everything crosses between threads as columns of plain values rather than thousands of small objects:
 * that was measured to cut the hand-over cost on each side (see bench/RESULTS.md, "Figures behind design
 * decisions", matching threads).
 */
import { parentPort } from 'node:worker_threads';
import {
  decide,
  type MatchDecision,
  type MatchExplanation,
  MemoryIndex,
  normalize,
  type PersonInput,
  RosterModel,
  type TermFrequencies,
} from '@care-graph/matching';
import { type PackedPeople, personAt, unpackPeople } from '../roster-patient-fields';

export type MatchRequest =
  | { id: number; load: { rosterId: string; rosterPatients: PackedPeople; termFrequencies: TermFrequencies | null } }
  | { id: number; match: { rosterId: string; people: PackedPeople; details: boolean } }
  | { id?: undefined; drop: string };

export interface MatchAnswer {
  id: number;
  decisions?: DecisionBatch;
  missing?: true;
  error?: string;
}

/**
 * A batch of decisions as columns: the summaries as strings, each explanation's other details as one JSON
 * string (only when asked for), parsed on first use (`decisionsOf`).
 */
export interface DecisionBatch {
  candidateIds: (string | null)[];
  grades: MatchDecision['grade'][];
  scores: number[];
  summaries: (string | null)[];
  details: (string | null)[] | null;
}

function addDecision(batch: DecisionBatch, { candidateId, grade, score, explanation }: MatchDecision): void {
  batch.candidateIds.push(candidateId);
  batch.grades.push(grade);
  batch.scores.push(score);
  batch.summaries.push(explanation?.summary ?? null);
  batch.details?.push(explanation ? JSON.stringify({ ...explanation, summary: undefined }) : null);
}

/** An explanation whose details are parsed from their JSON on first use. */
class PackedExplanation implements MatchExplanation {
  private parsed: MatchExplanation | undefined;
  constructor(
    readonly summary: string,
    private readonly json: string | null,
  ) {}
  private get details(): MatchExplanation {
    if (this.json === null) throw new Error('This match was asked for without explanation details.');
    return (this.parsed ??= JSON.parse(this.json) as MatchExplanation);
  }
  get candidateId() {
    return this.details.candidateId;
  }
  get blockingKeys() {
    return this.details.blockingKeys;
  }
  get fields() {
    return this.details.fields;
  }
  get prior() {
    return this.details.prior;
  }
  get total() {
    return this.details.total;
  }
  get runnerUp() {
    return this.details.runnerUp;
  }
  get margin() {
    return this.details.margin;
  }
  get guards() {
    return this.details.guards;
  }
}

export function decisionsOf(batch: DecisionBatch): MatchDecision[] {
  return batch.grades.map((grade, i) => {
    const summary = batch.summaries[i];
    return {
      candidateId: batch.candidateIds[i],
      grade,
      score: batch.scores[i],
      accepted: grade === 'CERTAIN' || grade === 'PROBABLE',
      explanation: summary === null ? null : new PackedExplanation(summary, batch.details?.[i] ?? null),
    };
  });
}

/** A roster as a thread holds it: its members filed under their blocking keys, and how it weighs agreement. */
interface HeldRoster {
  index: MemoryIndex;
  model: RosterModel;
}

function decideFor({ index, model }: HeldRoster, person: PersonInput): MatchDecision {
  const query = normalize(person);
  return decide(query, index.candidates(query), model);
}

/** The rosters one thread holds, each as a blocking index. */
export class RosterMatcher {
  private readonly rosters = new Map<string, HeldRoster>();

  /** `termFrequencies` as stored with the roster; null (a roster made READY before they were kept): counted from its members. */
  load(rosterId: string, rosterPatients: PersonInput[], termFrequencies: TermFrequencies | null): void {
    const members = rosterPatients.map(normalize);
    const model = termFrequencies ? new RosterModel(termFrequencies) : RosterModel.of(members);
    const index = new MemoryIndex();
    for (const member of members) index.add(model.annotate(member));
    this.rosters.set(rosterId, { index, model });
  }

  drop(rosterId: string): void {
    this.rosters.delete(rosterId);
  }

  /** Decisions for `people`, in order; null when the roster is not held. */
  match(rosterId: string, people: PersonInput[]): MatchDecision[] | null {
    const roster = this.rosters.get(rosterId);
    if (!roster) return null;
    return people.map((person) => decideFor(roster, person));
  }

  /**
   * The same for packed people, answered packed. Each person and decision is packed as soon as it is made:
   * nothing of a batch but its answer outlives the next young-generation collection.
   */
  matchPacked(rosterId: string, people: PackedPeople, details: boolean): DecisionBatch | null {
    const roster = this.rosters.get(rosterId);
    if (!roster) return null;
    const batch: DecisionBatch = { candidateIds: [], grades: [], scores: [], summaries: [], details: details ? [] : null };
    for (let i = 0; i < people[0].length; i += 1) addDecision(batch, decideFor(roster, personAt(people, i)));
    return batch;
  }
}

function answer(matcher: RosterMatcher, message: MatchRequest): MatchAnswer | undefined {
  if ('drop' in message) {
    matcher.drop(message.drop);
    return undefined;
  }
  if ('load' in message) {
    matcher.load(message.load.rosterId, unpackPeople(message.load.rosterPatients), message.load.termFrequencies);
    return { id: message.id };
  }
  const { rosterId, people, details } = message.match;
  const decisions = matcher.matchPacked(rosterId, people, details);
  return decisions ? { id: message.id, decisions } : { id: message.id, missing: true };
}

const port = parentPort;
if (port) {
  const matcher = new RosterMatcher();
  port.on('message', (message: MatchRequest) => {
    try {
      const reply = answer(matcher, message);
      if (reply) port.postMessage(reply);
    } catch (error) {
      port.postMessage({ id: message.id, error: (error as Error).message });
    }
  });
}
