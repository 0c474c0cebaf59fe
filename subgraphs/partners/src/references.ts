/**
 * Entities other services own, as far as partners refers to them: only their keys, plus the field this
 * service contributes to `CareRequest`.
 */
import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { deriveProgress } from './backfill-runner/progress';
import type { BackfillRun } from './generated/prisma/client';

@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id")')
export class CareRequest {
  @Field(() => ID) id!: string;
}

@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id", resolvable: false)')
export class RosterPatient {
  @Field(() => ID) id!: string;
}

/** A backfill (pop-health's) with the progress of its run, which partners owns. */
@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id")')
export class Backfill {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: 'Care requests of the window processed so far.' }) processed!: number;
  @Field(() => Int, { nullable: true, description: 'Care requests in the window, counted when the run starts; null before.' })
  total!: number | null;
  @Field(() => Int, { description: 'Care requests that matched a roster member with an accepted grade.' }) matched!: number;
  @Field(() => Int, { description: 'Associations the run created.' }) created!: number;
  @Field(() => Int, { description: 'Matches whose care request the partner already had (kept as they were).' }) alreadyAssociated!: number;
  @Field(() => Float, { nullable: true, description: 'processed / total × 100 (100 for an empty window); null without a run.' })
  percent!: number | null;
  @Field(() => Float, { nullable: true, description: 'Care requests per second since the first page; null before it.' })
  ratePerSecond!: number | null;
  @Field(() => Int, { nullable: true, description: 'Seconds left at the current rate; null when unknown or finished.' })
  etaSeconds!: number | null;
  @Field(() => String, { nullable: true, description: 'The transient fault the run is retrying, if any.' }) lastError!: string | null;
  @Field(() => Int, { description: 'Retries of the current transient fault (0 when none).' }) attempts!: number;
  /** The run, when there is one (matchSample, associations and the access rule read it). */
  run!: BackfillRun | null;
}

/** The partners fields of backfill `id` from its run's row; zeros (total null) when it has no run yet. */
export function backfillOf(id: string, run: BackfillRun | null, now: Date = new Date()): Backfill {
  if (!run) {
    return {
      id,
      processed: 0,
      total: null,
      matched: 0,
      created: 0,
      alreadyAssociated: 0,
      percent: null,
      ratePerSecond: null,
      etaSeconds: null,
      lastError: null,
      attempts: 0,
      run: null,
    };
  }
  return {
    id,
    processed: run.processed,
    total: run.total,
    matched: run.matched,
    created: run.created,
    alreadyAssociated: run.alreadyAssociated,
    ...deriveProgress(run, now),
    lastError: run.lastError,
    attempts: run.attempts,
    run,
  };
}
