/**
 * `matchPatients`: the backfill runner's one call per batch. The roster index matches the whole batch at
 * once (by default on the matching threads, see roster-index/match-threads.ts), and each patient gets their best
 * candidate with a grade, a score and the explanation.
 */

import type { MatchDecision, PersonInput } from '@care-graph/matching';
import { assertPartnerAccess, badUserInput, DateScalar, formatCalendarDate, notFound, Sex } from '@care-graph/service-kit';
import { type GraphQLResolveInfo, Kind } from 'graphql';
import {
  Arg,
  Authorized,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  Float,
  ID,
  Info,
  InputType,
  ObjectType,
  Query,
  Resolver,
  Root,
  registerEnumType,
} from 'type-graphql';
import type { PopHealthContext } from './context';
import { RosterPatient } from './roster';

export enum MatchGrade {
  CERTAIN = 'CERTAIN',
  PROBABLE = 'PROBABLE',
  POSSIBLE = 'POSSIBLE',
  NONE = 'NONE',
}
registerEnumType(MatchGrade, { name: 'MatchGrade', description: 'How sure the roster match is.' });

/** Most patients one call takes; the backfill runner sends batches of a few thousand. */
const MAX_MATCH_BATCH = 5000;

@InputType({ description: 'A care-request patient to match against a roster.' })
export class MatchPatientInput {
  @Field(() => ID, { description: "The caller's id for the patient, echoed back." }) id!: string;
  @Field() givenName!: string;
  @Field(() => String, { nullable: true }) middleName?: string | null;
  @Field() familyName!: string;
  @Field(() => DateScalar) dateOfBirth!: Date;
  @Field(() => Sex, { nullable: true }) sex?: Sex | null;
  @Field(() => String, { nullable: true }) ssn?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Instead of ssn: the SSN as care-requests sealed it (Patient.sealedSsn), passed on unchanged.',
  })
  sealedSsn?: string | null;
  @Field(() => String, { nullable: true }) memberId?: string | null;
  @Field(() => String, { nullable: true }) addressLine1?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) state?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
}

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

@ObjectType({ simpleResolvers: true })
export class PatientMatch {
  @Field(() => ID) patientId!: string;
  @Field(() => ID, { nullable: true, description: 'The best candidate id (no roster lookup; `rosterPatient` loads the member).' })
  rosterPatientId!: string | null;
  @Field(() => MatchGrade) grade!: MatchGrade;
  @Field(() => Float) score!: number;
  @Field({ description: 'True for CERTAIN and PROBABLE: the match is used.' }) accepted!: boolean;
  @Field(() => MatchExplanation, { nullable: true }) explanation!: MatchExplanation | null;
}

/**
 * The GraphQL view of an explanation. Read through getters, so that an answer pays only for the parts it
 * selects (the matching threads hand explanations over packed; see roster-index/match-worker.ts).
 */
class ExplanationView {
  constructor(private readonly e: NonNullable<MatchDecision['explanation']>) {}
  get blockingKeys() {
    return this.e.blockingKeys;
  }
  get fields() {
    return this.e.fields;
  }
  get prior() {
    return this.e.prior;
  }
  get total() {
    return this.e.total;
  }
  get runnerUp(): MatchRunnerUp | null {
    const runnerUp = this.e.runnerUp;
    return runnerUp && { rosterPatientId: runnerUp.candidateId, score: runnerUp.total };
  }
  get margin() {
    return this.e.margin;
  }
  get guards() {
    return this.e.guards;
  }
  get summary() {
    return this.e.summary;
  }
}

function toGraphQL(patientId: string, decision: MatchDecision): PatientMatch {
  return {
    patientId,
    rosterPatientId: decision.candidateId,
    grade: decision.grade as MatchGrade,
    score: decision.score,
    accepted: decision.accepted,
    explanation: decision.explanation && (new ExplanationView(decision.explanation) as MatchExplanation),
  };
}

/**
 * Whether the operation reads anything of `explanation` beyond its summary (fragments count as reading
 * everything). When it does not, the matching threads leave the details out of their answer.
 */
function explanationDetailsWanted(info: GraphQLResolveInfo): boolean {
  for (const node of info.fieldNodes) {
    for (const selection of node.selectionSet?.selections ?? []) {
      if (selection.kind !== Kind.FIELD) return true;
      if (selection.name.value !== 'explanation') continue;
      for (const sub of selection.selectionSet?.selections ?? []) {
        if (sub.kind !== Kind.FIELD || (sub.name.value !== 'summary' && sub.name.value !== '__typename')) return true;
      }
    }
  }
  return false;
}

@Resolver(() => PatientMatch)
export class PatientMatchResolver {
  @FieldResolver(() => RosterPatient, { nullable: true, description: 'The best candidate, also when not accepted (for review).' })
  rosterPatient(@Root() match: PatientMatch, @Ctx() ctx: PopHealthContext) {
    return match.rosterPatientId ? ctx.rosterPatients.load(match.rosterPatientId) : null;
  }
}

@Resolver(() => MatchRunnerUp)
export class MatchRunnerUpResolver {
  /** Resolved through the roster-patient DataLoader: one query for the whole batch. */
  @FieldResolver(() => RosterPatient)
  rosterPatient(@Root() runnerUp: MatchRunnerUp, @Ctx() ctx: PopHealthContext) {
    return ctx.rosterPatients.load(runnerUp.rosterPatientId);
  }
}

/** The SSN inside `sealed` (patient `i`'s sealedSsn); BAD_USER_INPUT when it does not open or comes with a plain ssn. */
function openSealedSsn(ctx: PopHealthContext, sealed: string, ssn: string | null | undefined, i: number): string {
  const field = `patients.${i}.sealedSsn`;
  if (ssn !== undefined && ssn !== null) throw badUserInput(`${field}: pass ssn or sealedSsn, not both.`, { argument: 'patients', field });
  const opened = ctx.ssnSealer.open(sealed);
  if (opened === null) {
    throw badUserInput(`${field} was not sealed by care-requests, or was changed; pass Patient.sealedSsn unchanged.`, {
      argument: 'patients',
      field,
    });
  }
  return opened;
}

@Resolver()
export class PatientMatchingResolver {
  @Authorized('service')
  @Query(() => [PatientMatch], { description: 'Service/admin: match a batch of patients against a READY roster, one call per batch.' })
  async matchPatients(
    @Arg('rosterId', () => ID) rosterId: string,
    @Arg('patients', () => [MatchPatientInput]) patients: MatchPatientInput[],
    @Ctx() ctx: PopHealthContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<PatientMatch[]> {
    if (patients.length > MAX_MATCH_BATCH) throw badUserInput(`At most ${MAX_MATCH_BATCH} patients per call; got ${patients.length}.`);
    const roster = await ctx.rosters.load(rosterId);
    if (!roster) throw notFound(`No roster ${rosterId}.`);
    assertPartnerAccess(ctx.identity, roster.partnerId);
    if (roster.status !== 'READY') throw badUserInput(`Roster ${rosterId} is ${roster.status}; only READY rosters can be matched.`);
    // Field by field rather than a rest/spread of the input: a page holds thousands of them.
    const people = patients.map(
      (p, i): PersonInput => ({
        id: p.id,
        givenName: p.givenName,
        middleName: p.middleName,
        familyName: p.familyName,
        dateOfBirth: formatCalendarDate(p.dateOfBirth),
        sex: p.sex,
        ssn: p.sealedSsn === undefined || p.sealedSsn === null ? p.ssn : openSealedSsn(ctx, p.sealedSsn, p.ssn, i),
        memberId: p.memberId,
        addressLine1: p.addressLine1,
        city: p.city,
        state: p.state,
        postalCode: p.postalCode,
      }),
    );
    const decisions = await ctx.rosterIndex.match(roster, people, explanationDetailsWanted(info));
    return decisions.map((decision, i) => toGraphQL(patients[i].id, decision));
  }
}
