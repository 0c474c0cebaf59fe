/**
 * Expectation–maximisation of the m-probabilities from unlabelled candidate pairs, as Splink does: each
 * pair is a match with the probability its weights give (E) — a patient being at most one member of the
 * roster — and each level's m becomes its share among the pairs weighted by that probability (M), until
 * the estimates settle. The u-probabilities stay as the
 * table has them (they are about chance agreement between different people, which blocked pairs, being
 * alike by construction, would overstate), and so do the frequency adjustments, which are applied on top.
 * Levels of a field are counted only where the field is present on both sides. Starts from `ESTIMATES`.
 */
import type { RosterModel } from './frequencies';
import type { NormalizedPerson } from './normalize';
import { ESTIMATES, type Estimate, FIELDS, type Field, levelsOf, weightsOf } from './score';

export interface CandidatePairs {
  query: NormalizedPerson;
  candidates: NormalizedPerson[];
}

export interface WeightEstimate {
  pairs: number;
  iterations: number;
  /** Estimated share of the patients who are on the roster. */
  onRoster: number;
  estimates: Record<Field, Record<string, Estimate>>;
  weights: Record<Field, Record<string, number>>;
}

const MISSING = new Set(['missing', 'unknown']);

export function estimateWeights(pairs: CandidatePairs[], model: Pick<RosterModel, 'prior'>, maxIterations = 50): WeightEstimate {
  // Levels as small integers per field, one row of FIELDS.length a pair (-1: missing); `ends[q]` is where
  // query q's pairs end.
  const names = FIELDS.map((field) => Object.keys(ESTIMATES[field]));
  const rows: number[] = [];
  const ends: number[] = [];
  for (const { query, candidates } of pairs) {
    for (const candidate of candidates) {
      const levels = levelsOf(query, candidate);
      for (let f = 0; f < FIELDS.length; f += 1) rows.push(MISSING.has(levels[f]) ? -1 : names[f].indexOf(levels[f]));
    }
    ends.push(rows.length / FIELDS.length);
  }
  const count = rows.length / FIELDS.length;
  const m = FIELDS.map((field, f) => names[f].map((level) => (ESTIMATES[field] as Record<string, Estimate>)[level].m));
  const u = FIELDS.map((field, f) => names[f].map((level) => (ESTIMATES[field] as Record<string, Estimate>)[level].u));
  // Each patient is at most one roster member: with a share `onRoster` of patients on the roster, member j
  // is the patient with prior onRoster / N, none of them with 1 − onRoster. So candidate j's posterior is
  // 2^(prior + w_j) / (1 − onRoster + Σ_k 2^(prior + w_k)) with prior = log2(onRoster / N).
  let onRoster = 0.5;
  const logWeights = new Float64Array(count);
  let iterations = 0;
  for (; iterations < maxIterations; iterations += 1) {
    const mSums = names.map((levels) => levels.map(() => 0));
    const presentSums = FIELDS.map(() => 0);
    const prior = model.prior + Math.log2(onRoster);
    let matched = 0;
    let start = 0;
    for (const end of ends) {
      for (let p = start; p < end; p += 1) {
        let w = prior;
        for (let f = 0; f < FIELDS.length; f += 1) {
          const level = rows[p * FIELDS.length + f];
          if (level >= 0) w += Math.log2(m[f][level] / u[f][level]);
        }
        logWeights[p] = w;
      }
      // Posteriors in the log domain, shifted by the largest term so that 2^w never overflows.
      let top = Math.log2(1 - onRoster);
      for (let p = start; p < end; p += 1) top = Math.max(top, logWeights[p]);
      let total = 2 ** (Math.log2(1 - onRoster) - top);
      for (let p = start; p < end; p += 1) total += 2 ** (logWeights[p] - top);
      for (let p = start; p < end; p += 1) {
        const probability = 2 ** (logWeights[p] - top) / total;
        matched += probability;
        for (let f = 0; f < FIELDS.length; f += 1) {
          const level = rows[p * FIELDS.length + f];
          if (level < 0) continue;
          mSums[f][level] += probability;
          presentSums[f] += probability;
        }
      }
      start = end;
    }
    const nextOnRoster = Math.min(0.999, Math.max(0.001, matched / Math.max(1, ends.length)));
    let change = Math.abs(nextOnRoster - onRoster);
    onRoster = nextOnRoster;
    for (let f = 0; f < FIELDS.length; f += 1) {
      for (let l = 0; l < names[f].length; l += 1) {
        if (MISSING.has(names[f][l])) continue;
        // A level never seen among likely matches keeps a floor: a weight of minus infinity explains nothing.
        const next = Math.max(1e-6, mSums[f][l] / Math.max(1e-12, presentSums[f]));
        change = Math.max(change, Math.abs(next - m[f][l]));
        m[f][l] = next;
      }
    }
    if (change < 1e-5) break;
  }
  const estimates = Object.fromEntries(
    FIELDS.map((field, f) => [field, Object.fromEntries(names[f].map((level, l) => [level, { m: m[f][l], u: u[f][l] }]))]),
  ) as WeightEstimate['estimates'];
  return { pairs: count, iterations, onRoster, estimates, weights: weightsOf(estimates) };
}
