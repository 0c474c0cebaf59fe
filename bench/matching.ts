/**
 * Matching quality and speed on the realistic population (packages/matching/src/population.ts): names as
 * common as in real populations, households, twins, namesake and twin-of-member traps, with known truth.
 * At each size (10k, 100k, 1M roster members) it prints precision and recall of accepted matches (CERTAIN +
 * PROBABLE), the false matches by kind and the misses by noise, for today's matcher and, in the same run on
 * the same index, the matcher as it was before frequency-aware weights (bench/baseline-matcher, frozen), so
 * that the speed target is a same-run ratio. It also prints the m-probabilities expectation–maximisation
 * estimates from the candidate pairs (estimateWeights) next to the table the matcher uses.
 * Targets (issue 15): precision ≥ 0.999, recall ≥ 0.99 at every size, 0 twins of members accepted, and
 * matching speed at least 90 % of the baseline's.
 */
import {
  type Candidate,
  type CandidatePairs,
  decide,
  describePopulation,
  ESTIMATES,
  estimateWeights,
  generatePopulation,
  MemoryIndex,
  type NormalizedPerson,
  normalize,
  type PopulationPatient,
  RosterModel,
} from '@care-graph/matching';
import { decide as baselineDecide } from './baseline-matcher/match';

export const MATCHING_SIZES = [
  { rosterSize: 10_000, patients: 10_000 },
  { rosterSize: 100_000, patients: 100_000 },
  { rosterSize: 1_000_000, patients: 200_000 },
] as const;

const MATCHING_TARGETS = { precision: 0.999, recall: 0.99, speedRatio: 0.9, twinsAccepted: 0 } as const;

interface Decision {
  candidateId: string | null;
  grade: string;
  accepted: boolean;
  explanation: { summary: string } | null;
}

interface MatcherQuality {
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  byGrade: Record<string, number>;
  /** namesake, twin, wrong member (an on-roster patient given another member), other person (not on the roster). */
  falseMatchesByKind: Record<string, number>;
  missesByNoise: Record<string, number>;
  twinsAccepted: number;
  /** Best of the timed rounds: normalise each patient, find its candidates, decide. */
  matchSeconds: number;
  patientsPerSecond: number;
  examples: { falseMatch?: string; miss?: string };
}

export interface MatchingSizeResult {
  rosterSize: number;
  patients: number;
  population: string;
  generateSeconds: number;
  indexSeconds: number;
  /** Counting the roster's term frequencies and annotating its members (what a roster load adds). */
  modelSeconds: number;
  prior: number;
  current: MatcherQuality;
  baseline: MatcherQuality;
  /** current patients/s ÷ baseline patients/s. */
  speedRatio: number;
  estimated: string[];
}

const FALSE_KIND: Record<PopulationPatient['kind'], string> = {
  namesake: 'namesake',
  'twin-of-member': 'twin',
  'on-roster': 'wrong member',
  'not-on-roster': 'other person',
};

/**
 * The quality figures, counted decision by decision as the matcher goes: keeping every decision (with its
 * explanation) until the end would hold hundreds of thousands of them, and V8, seeing the matcher's
 * objects outlive collections, would then allocate them straight in the old generation for the rest of the
 * run — the timed rounds included, where it cost the matcher with the richer explanations up to a fifth
 * of its speed (bench/RESULTS.md).
 */
class QualityTally {
  private tp = 0;
  private fp = 0;
  private fn = 0;
  private twinsAccepted = 0;
  private readonly byGrade: Record<string, number> = {};
  private readonly falseMatchesByKind: Record<string, number> = {};
  private readonly missesByNoise: Record<string, number> = {};
  private readonly examples: MatcherQuality['examples'] = {};

  add(patient: PopulationPatient, decision: Decision): void {
    this.byGrade[decision.grade] = (this.byGrade[decision.grade] ?? 0) + 1;
    const right = decision.accepted && decision.candidateId === patient.truth;
    if (right) this.tp += 1;
    else if (decision.accepted) {
      this.fp += 1;
      const kind = FALSE_KIND[patient.kind];
      this.falseMatchesByKind[kind] = (this.falseMatchesByKind[kind] ?? 0) + 1;
      if (patient.kind === 'twin-of-member') this.twinsAccepted += 1;
      this.examples.falseMatch ??= `${kind} ${patient.id} [${patient.noise.join(', ')}] -> ${decision.explanation?.summary}`;
    }
    if (patient.truth && !right) {
      this.fn += 1;
      for (const noise of patient.noise.length ? patient.noise : ['(none)'])
        this.missesByNoise[noise] = (this.missesByNoise[noise] ?? 0) + 1;
      this.examples.miss ??= `${patient.id} [${patient.noise.join(', ')}] -> ${decision.explanation?.summary ?? 'no candidate found'}`;
    }
  }

  result(patients: number, matchSeconds: number): MatcherQuality {
    const { tp, fp, fn } = this;
    return {
      precision: tp / Math.max(1, tp + fp),
      recall: tp / Math.max(1, tp + fn),
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      byGrade: this.byGrade,
      falseMatchesByKind: this.falseMatchesByKind,
      missesByNoise: this.missesByNoise,
      twinsAccepted: this.twinsAccepted,
      matchSeconds,
      patientsPerSecond: patients / matchSeconds,
      examples: this.examples,
    };
  }
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** The m's EM finds on the candidate pairs of (up to) 20,000 patients, for the levels where it differs from the table. */
function estimatedWeights(index: MemoryIndex, patients: PopulationPatient[], model: RosterModel): string[] {
  const pairs: CandidatePairs[] = patients.slice(0, 20_000).map((patient) => {
    const query = normalize(patient);
    return { query, candidates: index.candidates(query).map((c) => c.person) };
  });
  const estimate = estimateWeights(pairs, model);
  const lines = [
    `EM over ${estimate.pairs.toLocaleString('en-US')} pairs, ${estimate.iterations} iterations, on roster ${estimate.onRoster.toFixed(3)}`,
  ];
  for (const [field, levels] of Object.entries(estimate.estimates)) {
    const table = ESTIMATES[field as keyof typeof ESTIMATES] as Record<string, { m: number }>;
    const changed = Object.entries(levels)
      .filter(([level, { m }]) => Math.abs(m - table[level].m) >= 0.01)
      .map(
        ([level, { m }]) =>
          `${level} m ${table[level].m} -> ${m.toFixed(3)} (weight ${estimate.weights[field as keyof typeof ESTIMATES][level as never]})`,
      );
    if (changed.length) lines.push(`${field}: ${changed.join(', ')}`);
  }
  return lines;
}

/** `rounds` timed rounds of each matcher (default: 6 up to 100,000 patients, 3 above). */
export function runMatchingSize(
  size: { rosterSize: number; patients: number },
  seed = 19,
  rounds = size.patients > 100_000 ? 3 : 6,
): MatchingSizeResult {
  let start = process.hrtime.bigint();
  const population = generatePopulation({ ...size, seed });
  const { roster, patients } = population;
  const generateSeconds = seconds(start);

  start = process.hrtime.bigint();
  const members = roster.map(normalize);
  const indexSeconds0 = seconds(start);
  start = process.hrtime.bigint();
  const model = RosterModel.of(members);
  for (const member of members) model.annotate(member);
  const modelSeconds = seconds(start);
  start = process.hrtime.bigint();
  const index = new MemoryIndex();
  for (const member of members) index.add(member);
  const indexSeconds = indexSeconds0 + seconds(start);

  // Both matchers on the same index and queries. Decisions for the quality figures come from an untimed
  // run that also warms both up; the timed rounds alternate which goes first (neither gets the warmer
  // machine) and each matcher keeps its best round.
  const tally = (match: (query: NormalizedPerson, candidates: Candidate[]) => Decision) => {
    const counted = new QualityTally();
    for (const patient of patients) {
      const query = normalize(patient);
      counted.add(patient, match(query, index.candidates(query)));
    }
    return counted;
  };
  const current = (q: NormalizedPerson, c: Candidate[]) => decide(q, c, model);
  const baseline = (q: NormalizedPerson, c: Candidate[]) => baselineDecide(q, c);
  const currentTally = tally(current);
  const baselineTally = tally(baseline);
  // A round matches at least 200,000 patients (the list again as often as needed): shorter rounds measure
  // the machine's hiccups more than the matchers.
  const passes = Math.ceil(200_000 / patients.length);
  const timed = (match: (query: NormalizedPerson, candidates: Candidate[]) => Decision) => {
    const startRun = process.hrtime.bigint();
    let accepted = 0;
    for (let pass = 0; pass < passes; pass += 1) {
      for (const patient of patients) {
        const query = normalize(patient);
        if (match(query, index.candidates(query)).accepted) accepted += 1;
      }
    }
    if (accepted < 0) throw new Error('unreachable');
    return seconds(startRun) / passes;
  };
  let currentSeconds = Number.POSITIVE_INFINITY;
  let baselineSeconds = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? ([current, baseline] as const) : ([baseline, current] as const);
    for (const match of order) {
      const took = timed(match);
      if (match === current) currentSeconds = Math.min(currentSeconds, took);
      else baselineSeconds = Math.min(baselineSeconds, took);
    }
  }
  const currentQuality = currentTally.result(patients.length, currentSeconds);
  const baselineQuality = baselineTally.result(patients.length, baselineSeconds);
  return {
    ...size,
    population: describePopulation(population),
    generateSeconds,
    indexSeconds,
    modelSeconds,
    prior: model.prior,
    current: currentQuality,
    baseline: baselineQuality,
    speedRatio: currentQuality.patientsPerSecond / baselineQuality.patientsPerSecond,
    estimated: estimatedWeights(index, patients, model),
  };
}

const count = (n: number) => n.toLocaleString('en-US');
const entries = (record: Record<string, number>) =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${count(n)}`)
    .join(' · ') || 'none';

function matcherLines(name: string, q: MatcherQuality): string[] {
  return [
    `  ${name}: precision ${q.precision.toFixed(5)} · recall ${q.recall.toFixed(5)} · true ${count(q.truePositives)} · false ${count(q.falsePositives)} · missed ${count(q.falseNegatives)} · ${count(Math.round(q.patientsPerSecond))} patients/s`,
    `    grades: ${entries(q.byGrade)}`,
    `    false matches by kind: ${entries(q.falseMatchesByKind)}`,
    `    misses by noise: ${entries(q.missesByNoise)}`,
    ...(q.examples.falseMatch ? [`    e.g. false: ${q.examples.falseMatch}`] : []),
    ...(q.examples.miss ? [`    e.g. missed: ${q.examples.miss}`] : []),
  ];
}

export function matchingSizeReport(r: MatchingSizeResult): string {
  const t = MATCHING_TARGETS;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    `Matching: roster ${count(r.rosterSize)}, patients ${count(r.patients)} (realistic population, seeded; generated in ${r.generateSeconds.toFixed(1)} s)`,
    ...r.population.split('\n').map((line) => `  ${line}`),
    `  index ${r.indexSeconds.toFixed(2)} s · term frequencies + annotation ${r.modelSeconds.toFixed(2)} s · prior ${r.prior}`,
    ...matcherLines('today   ', r.current),
    ...matcherLines('baseline', r.baseline),
    ...r.estimated.map((line) => `  ${line}`),
    `  targets: precision ≥ ${t.precision} ${met(r.current.precision >= t.precision)} · recall ≥ ${t.recall} ${met(r.current.recall >= t.recall)} · ` +
      `twins accepted ${r.current.twinsAccepted} ${met(r.current.twinsAccepted <= t.twinsAccepted)} · ` +
      `speed ${(100 * r.speedRatio).toFixed(0)} % of the baseline (≥ ${100 * t.speedRatio} %) ${met(r.speedRatio >= t.speedRatio)}`,
  ].join('\n');
}
