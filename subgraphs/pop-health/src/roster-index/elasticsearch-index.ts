/**
 * The roster index on Elasticsearch (`ROSTER_INDEX=elasticsearch`, `ELASTICSEARCH_URL`), as the original
 * system had it: one index for current rosters and a separate one for backfill rosters, roster patients
 * written with the bulk API as a roster is ingested, and one `_msearch` per batch of people to match (one search
 * per person: its blocking keys, within its roster).
 *
 * No Elasticsearch server can run on the project's machines, so this is unit-tested against
 * @elastic/elasticsearch-mock (request bodies asserted) and has an integration test that runs when
 * ELASTICSEARCH_URL is set. The embedded default never needs it.
 */

import {
  blockingKeys,
  type Candidate,
  decide,
  keyKind,
  MAX_BLOCK_SIZE,
  type MatchDecision,
  type NormalizedPerson,
  normalize,
  type PersonInput,
  RosterModel,
  type TermFrequencies,
} from '@care-graph/matching';
import { Client } from '@elastic/elasticsearch';
import { ROSTER_PATIENT_FIELD_NAMES } from '../roster-patient-fields';
import type { RosterIndex, RosterPatientDocument, RosterRef } from './roster-index';

export const INDEX_NAMES = { CURRENT: 'care-graph-roster-current', BACKFILL: 'care-graph-roster-backfill' } as const;

/**
 * A document per roster patient: searched by roster and blocking keys, fetched by id; its other fields are
 * only read back (stored, not indexed).
 */
export const MAPPINGS = {
  properties: {
    rosterId: { type: 'keyword' },
    blockingKeys: { type: 'keyword' },
    ...Object.fromEntries(
      ROSTER_PATIENT_FIELD_NAMES.map((name) => [name, name === 'id' ? { type: 'keyword' } : { type: 'keyword', index: false }]),
    ),
  },
} as const;

/** Where the index reads a roster's term frequencies from (the pop-health database, where ingestion keeps them). */
export type TermFrequencySource = (rosterId: string) => Promise<TermFrequencies>;

export class ElasticsearchRosterIndex implements RosterIndex {
  private readonly ready = new Map<string, Promise<void>>();
  /** The models of the rosters matched lately (READY rosters never change), least recently used first. */
  private readonly models = new Map<string, Promise<RosterModel>>();
  readonly wantsRosterPatients = true;

  constructor(
    private readonly client: Client,
    private readonly termFrequencies: TermFrequencySource,
    /** Candidates read per person: a person with more than this is ambiguous anyway. */
    private readonly maxCandidates = 50,
    private readonly modelCapacity = 16,
  ) {}

  static fromUrl(url: string, termFrequencies: TermFrequencySource): ElasticsearchRosterIndex {
    return new ElasticsearchRosterIndex(new Client({ node: url }), termFrequencies);
  }

  private model(rosterId: string): Promise<RosterModel> {
    let model = this.models.get(rosterId);
    if (model) this.models.delete(rosterId);
    else {
      model = this.termFrequencies(rosterId).then((frequencies) => new RosterModel(frequencies));
      model.catch(() => this.models.delete(rosterId));
    }
    this.models.set(rosterId, model);
    while (this.models.size > this.modelCapacity) this.models.delete(this.models.keys().next().value!);
    return model;
  }

  /** Creates the index with its mappings the first time a roster of that kind is written. */
  private ensureIndex(kind: RosterRef['kind']): Promise<void> {
    const index = INDEX_NAMES[kind];
    let ready = this.ready.get(index);
    if (!ready) {
      ready = (async () => {
        if (!(await this.client.indices.exists({ index }))) {
          await this.client.indices.create({ index, mappings: MAPPINGS as never }, { ignore: [400] });
        }
      })();
      this.ready.set(index, ready);
    }
    return ready;
  }

  async addRosterPatients(roster: RosterRef, rosterPatients: RosterPatientDocument[]): Promise<void> {
    if (rosterPatients.length === 0) return;
    await this.ensureIndex(roster.kind);
    const index = INDEX_NAMES[roster.kind];
    const operations = rosterPatients.flatMap((rosterPatient) => [{ index: { _index: index, _id: rosterPatient.id } }, rosterPatient]);
    const response = await this.client.bulk({ operations, refresh: 'wait_for' });
    if (response.errors) {
      const failed = response.items.find((item) => item.index?.error);
      throw new Error(`Elasticsearch refused roster patients: ${failed?.index?.error?.reason ?? 'unknown reason'}`);
    }
  }

  /** One msearch for the batch, then the decisions (on the service's thread: the search is the slow part). */
  async match(roster: RosterRef, people: PersonInput[]): Promise<MatchDecision[]> {
    const queries = people.map(normalize);
    const [model, candidates] = await Promise.all([this.model(roster.id), this.candidates(roster, queries)]);
    for (const found of candidates) for (const candidate of found) model.annotate(candidate.person);
    return queries.map((query, i) => decide(query, candidates[i], model));
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /** For each query (in order), the roster patients found under its blocking keys. */
  async candidates(roster: RosterRef, queries: NormalizedPerson[]): Promise<Candidate[][]> {
    const keysOf = queries.map((query) => blockingKeys(query));
    const searches = queries.flatMap((_query, i) => [
      { index: INDEX_NAMES[roster.kind] },
      {
        size: this.maxCandidates,
        query: { bool: { filter: [{ term: { rosterId: roster.id } }, { terms: { blockingKeys: keysOf[i] } }] } },
      },
    ]);
    if (queries.length === 0) return [];
    const { responses } = await this.client.msearch<RosterPatientDocument>({ searches });
    return responses.map((response, i) => {
      if ('error' in response) throw new Error(`Elasticsearch search failed: ${JSON.stringify(response.error).slice(0, 200)}`);
      const wanted = new Set(keysOf[i]);
      return response.hits.hits
        .filter((hit) => hit._source)
        .slice(0, MAX_BLOCK_SIZE)
        .map((hit) => {
          const { rosterId: _roster, blockingKeys: keys, ...person } = hit._source!;
          return { person: normalize(person), kinds: keys.filter((key) => wanted.has(key)).map(keyKind) };
        });
    });
  }
}
