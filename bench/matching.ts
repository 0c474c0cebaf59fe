/**
 * Matching quality and speed on synthetic data with known truth (packages/matching/src/synthetic.ts):
 * a roster, care-request patients drawn from it with realistic noise, people not on it, and twins of
 * members as traps. Prints precision and recall of accepted matches (CERTAIN + PROBABLE) against the
 * truth, the misses and false matches by cause, and the in-memory matching rate.
 * Targets: precision ≥ 0.999, recall ≥ 0.98.
 */
import { decide, generateSynthetic, MemoryIndex, normalize, RosterModel, type SyntheticPatient } from '@care-graph/matching';

export interface MatchingQuality {
  rosterSize: number;
  patients: number;
  precision: number;
  recall: number;
  f1: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  byGrade: Record<string, number>;
  missesByNoise: Record<string, number>;
  falseMatchesByKind: Record<string, number>;
  indexSeconds: number;
  matchSeconds: number;
  patientsPerSecond: number;
  examples: { falsePositive?: string; falseNegative?: string };
}

export function runMatchingQuality(options: { rosterSize: number; patients: number; seed?: number }): MatchingQuality {
  const { roster, patients } = generateSynthetic(options);
  const indexStart = process.hrtime.bigint();
  const index = new MemoryIndex();
  const members = roster.map(normalize);
  const model = RosterModel.of(members);
  for (const member of members) index.add(model.annotate(member));
  const indexSeconds = Number(process.hrtime.bigint() - indexStart) / 1e9;

  const matchStart = process.hrtime.bigint();
  const decisions = patients.map((patient) => {
    const query = normalize(patient);
    return decide(query, index.candidates(query), model);
  });
  const matchSeconds = Number(process.hrtime.bigint() - matchStart) / 1e9;

  let tp = 0;
  let fp = 0;
  let fn = 0;
  const byGrade: Record<string, number> = {};
  const missesByNoise: Record<string, number> = {};
  const falseMatchesByKind: Record<string, number> = {};
  const examples: MatchingQuality['examples'] = {};
  decisions.forEach((decision, i) => {
    const patient: SyntheticPatient = patients[i];
    byGrade[decision.grade] = (byGrade[decision.grade] ?? 0) + 1;
    if (decision.accepted && decision.candidateId === patient.truth) tp += 1;
    else if (decision.accepted) {
      fp += 1;
      falseMatchesByKind[patient.kind] = (falseMatchesByKind[patient.kind] ?? 0) + 1;
      examples.falsePositive ??= `${patient.kind} ${patient.id} → ${decision.explanation?.summary}`;
    }
    if (patient.truth && !(decision.accepted && decision.candidateId === patient.truth)) {
      fn += 1;
      for (const noise of patient.noise.length ? patient.noise : ['(none)']) missesByNoise[noise] = (missesByNoise[noise] ?? 0) + 1;
      examples.falseNegative ??= `${patient.id} [${patient.noise.join(', ')}] → ${decision.explanation?.summary ?? 'no candidate found'}`;
    }
  });
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  return {
    rosterSize: roster.length,
    patients: patients.length,
    precision,
    recall,
    f1: (2 * precision * recall) / Math.max(1e-9, precision + recall),
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    byGrade,
    missesByNoise,
    falseMatchesByKind,
    indexSeconds,
    matchSeconds,
    patientsPerSecond: patients.length / matchSeconds,
    examples,
  };
}

export function matchingQualityReport(q: MatchingQuality): string {
  const count = (n: number) => n.toLocaleString('en-US');
  return [
    `Matching quality: roster ${count(q.rosterSize)}, patients ${count(q.patients)} (synthetic, seeded)`,
    `  precision ${q.precision.toFixed(5)} (target ≥ 0.999) · recall ${q.recall.toFixed(5)} (target ≥ 0.98) · F1 ${q.f1.toFixed(5)}`,
    `  true matches ${count(q.truePositives)} · false matches ${count(q.falsePositives)} · missed ${count(q.falseNegatives)}`,
    `  grades: ${Object.entries(q.byGrade)
      .map(([g, n]) => `${g} ${count(n)}`)
      .join(' · ')}`,
    `  misses by noise: ${
      Object.entries(q.missesByNoise)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(' · ') || 'none'
    }`,
    `  false matches by kind: ${
      Object.entries(q.falseMatchesByKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(' · ') || 'none'
    }`,
    `  in memory: index ${q.indexSeconds.toFixed(2)} s · match ${q.matchSeconds.toFixed(2)} s = ${count(Math.round(q.patientsPerSecond))} patients/s`,
    ...(q.examples.falseNegative ? [`  e.g. missed: ${q.examples.falseNegative}`] : []),
    ...(q.examples.falsePositive ? [`  e.g. false match: ${q.examples.falsePositive}`] : []),
    `Targets: precision ≥ 0.999 → ${q.precision >= 0.999 ? 'met' : 'NOT met'}; recall ≥ 0.98 → ${q.recall >= 0.98 ? 'met' : 'NOT met'}.`,
  ].join('\n');
}
