/**
 * Why a care request's patient matched a roster member, as stored with an association: the explanation
 * pop-health's `matchPatients` gave, kept as JSON. The types are pop-health's, shared (`@shareable`) so that a
 * client reads one shape from either subgraph; the stored JSON is the selection of MatchBackfillPage
 * (operations/pop-health.graphql), runner-up as `{ score, rosterPatientId }` (stored before that field was
 * selected: `{ score, rosterPatient: { id } }`, read the same way).
 */
import { Directive, Field, FieldResolver, Float, ID, ObjectType, Resolver, Root } from 'type-graphql';
import { RosterPatient } from './references';

@Directive('@shareable')
@ObjectType({ simpleResolvers: true, description: "One field's comparison: its agreement level and the weight that level carries." })
export class MatchFieldComparison {
  @Field() field!: string;
  @Field() level!: string;
  @Field(() => Float, { description: "The level's weight, log2(m/u), with the frequency adjustment included." }) weight!: number;
  @Field(() => Float, {
    description:
      "What the value's frequency in the roster added to or took from the weight (a common name weighs less); 0 for most fields.",
  })
  frequencyAdjustment!: number;
}

@Directive('@shareable')
@ObjectType({ simpleResolvers: true })
export class MatchRunnerUp {
  @Field(() => ID, { description: 'The runner-up candidate id (no roster lookup; `rosterPatient` loads the member).' })
  rosterPatientId!: string;
  @Field(() => Float) score!: number;
}

@Directive('@shareable')
@ObjectType({ simpleResolvers: true, description: 'Why a patient matched (or did not match) a roster member.' })
export class MatchExplanation {
  @Field(() => [String], { description: 'Kinds of the blocking keys that found the candidate, e.g. dob-fam, ssn.' })
  blockingKeys!: string[];
  @Field(() => [MatchFieldComparison]) fields!: MatchFieldComparison[];
  @Field(() => Float, { description: "log2 of the prior odds that a given roster member is the patient: -log2 of the roster's size." })
  prior!: number;
  @Field(() => Float, { description: 'The prior plus the field weights: the log2 odds that the candidate is the patient.' }) total!: number;
  @Field(() => MatchRunnerUp, { nullable: true }) runnerUp!: MatchRunnerUp | null;
  @Field(() => Float, { nullable: true, description: 'Best total minus the runner-up total.' }) margin!: number | null;
  @Field(() => [String], { description: 'Guards that lowered the grade: twin, ambiguous.' }) guards!: string[];
  @Field({ description: 'The whole decision in one sentence.' }) summary!: string;
}

@Resolver(() => MatchRunnerUp)
export class MatchRunnerUpResolver {
  @FieldResolver(() => RosterPatient)
  rosterPatient(@Root() runnerUp: MatchRunnerUp): RosterPatient {
    return { id: runnerUp.rosterPatientId };
  }
}

/**
 * A stored explanation as GraphQL answers it; null when none was stored. Explanations written before they were
 * structured (a summary alone) answer with their summary and empty parts.
 */
export function storedExplanation(json: unknown): MatchExplanation | null {
  if (json === null || typeof json !== 'object') return null;
  const stored = json as Partial<Omit<MatchExplanation, 'runnerUp'>> & { runnerUp?: StoredRunnerUp | null };
  return {
    blockingKeys: stored.blockingKeys ?? [],
    // Stored before frequency adjustments and the prior were kept: those weights had none, and no prior.
    fields: (stored.fields ?? []).map((f) => ({ ...f, frequencyAdjustment: f.frequencyAdjustment ?? 0 })),
    prior: stored.prior ?? 0,
    total: stored.total ?? 0,
    runnerUp: storedRunnerUp(stored.runnerUp),
    margin: stored.margin ?? null,
    guards: stored.guards ?? [],
    summary: stored.summary ?? '',
  };
}

/** A runner-up as stored: `rosterPatientId`, or (stored before the runner selected it) `rosterPatient.id`. */
type StoredRunnerUp = { score: number; rosterPatientId?: string; rosterPatient?: { id: string } };

function storedRunnerUp(stored: StoredRunnerUp | null | undefined): MatchRunnerUp | null {
  const rosterPatientId = stored?.rosterPatientId ?? stored?.rosterPatient?.id;
  return stored && rosterPatientId ? { rosterPatientId, score: stored.score } : null;
}
