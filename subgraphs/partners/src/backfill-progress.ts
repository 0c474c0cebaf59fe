/**
 * `backfillProgress(backfillId)`: a backfill's run as it moves, for the admin page (served through the
 * gateway over graphql-ws and SSE). The first event is the backfill's state now, so a client that connects
 * late or reconnects is never blank; then one event per progress change (progress-events.ts coalesces them
 * to a few a second); the terminal status is the last event, and the subscription completes after it. A
 * backfill that has finished gives one event and completes.
 *
 * `backfill` is the Backfill entity: the gateway resolves the fields other subgraphs own (status, roster,
 * partner) on each event through its own query planning.
 */
import { canSeePartner, notFound } from '@care-graph/service-kit';
import { Repeater } from '@graphql-yoga/subscription';
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  Int,
  ObjectType,
  Resolver,
  Root,
  registerEnumType,
  Subscription,
} from 'type-graphql';
import { deriveProgress } from './backfill-runner/progress';
import { type BackfillProgressEvent, progressTopic } from './backfill-runner/progress-events';
import type { PartnersContext } from './context';
import { BackfillOwnerDocument } from './generated/calls/pop-health';
import type { BackfillRun } from './generated/prisma/client';
import { Backfill, backfillOf } from './references';

/** A backfill's status, as pop-health names it (the same enum: before partners has the run, pop-health's is the one). */
export enum BackfillStatus {
  PENDING = 'PENDING',
  INGESTING = 'INGESTING',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(BackfillStatus, { name: 'BackfillStatus' });

/** The step of a backfill inside its status, as pop-health names it. */
export enum BackfillPhase {
  WAITING_FOR_ROSTER = 'WAITING_FOR_ROSTER',
  HANDING_OFF = 'HANDING_OFF',
  MATCHING = 'MATCHING',
  CANCELLING = 'CANCELLING',
  NOTIFYING = 'NOTIFYING',
  DONE = 'DONE',
}
registerEnumType(BackfillPhase, { name: 'BackfillPhase', description: 'The step of a backfill inside its status.' });

@ObjectType({ simpleResolvers: true, description: "One event of backfillProgress: the backfill's run counts at `at`." })
export class BackfillProgress {
  @Field(() => ID) backfillId!: string;
  @Field(() => BackfillStatus, {
    description:
      "The run's status (RUNNING, then COMPLETED, FAILED or CANCELLED); before the run starts, the backfill's own (PENDING, INGESTING).",
  })
  status!: BackfillStatus;
  @Field(() => BackfillPhase, {
    description:
      "The step inside the status: MATCHING while the run goes; NOTIFYING with the terminal status (the outcome recorded, the email going out), DONE once sent; before the run, pop-health's own.",
  })
  phase!: BackfillPhase;
  @Field(() => Int) processed!: number;
  @Field(() => Int, { nullable: true, description: 'Care requests in the window; null before the run starts.' }) total!: number | null;
  @Field(() => Int) matched!: number;
  @Field(() => Int) created!: number;
  @Field(() => Int) alreadyAssociated!: number;
  @Field(() => Float, { nullable: true, description: 'processed / total × 100; null before the run starts.' }) percent!: number | null;
  @Field(() => Int, { nullable: true, description: 'Seconds left at the current rate; null when unknown or finished.' }) etaSeconds!:
    | number
    | null;
  @Field({ description: 'When this state was read or published.' }) at!: Date;
}

const TERMINAL: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** The phase an event of the run carries (see `BackfillProgress.phase`). */
const phaseOf = (status: string) => (status === 'RUNNING' ? BackfillPhase.MATCHING : BackfillPhase.NOTIFYING);

function eventOfRun(run: BackfillRun, phase: BackfillPhase = phaseOf(run.status)): BackfillProgress {
  const { percent, etaSeconds } = deriveProgress(run);
  const { backfillId, status, total, processed, matched, created, alreadyAssociated } = run;
  return {
    backfillId,
    status: status as BackfillStatus,
    phase,
    total,
    processed,
    matched,
    created,
    alreadyAssociated,
    percent,
    etaSeconds,
    at: new Date(),
  };
}

/**
 * The backfill's state now, after the caller's access is checked: from its run, or — before partners has the
 * run — from pop-health, which owns the backfill (and says whether it exists and whose it is).
 */
async function currentState(backfillId: string, ctx: PartnersContext): Promise<BackfillProgress> {
  const run = await ctx.prisma.backfillRun.findUnique({ where: { backfillId } });
  // Another partner's backfill is answered as a missing one: a partner token learns nothing of other partners' ids.
  const missing = () => notFound(`No backfill ${backfillId}.`);
  if (run?.status === 'RUNNING') {
    if (!canSeePartner(ctx.identity, run.partnerId)) throw missing();
    return eventOfRun(run);
  }
  const { backfill } = await ctx.callService('pop-health', BackfillOwnerDocument, { id: backfillId });
  if (!backfill || !canSeePartner(ctx.identity, backfill.partner.id)) throw missing();
  // A finished run: with the step pop-health is at (NOTIFYING until the email is out, then DONE).
  if (run) return eventOfRun(run, backfill.phase as BackfillPhase);
  return {
    backfillId,
    status: backfill.status as BackfillStatus,
    phase: backfill.phase as BackfillPhase,
    total: null,
    processed: 0,
    matched: 0,
    created: 0,
    alreadyAssociated: 0,
    percent: null,
    etaSeconds: null,
    at: new Date(),
  };
}

/**
 * The events of one subscription: the state now, then each published event that does not go back behind
 * what was sent (an event published between subscribing and reading the state), ending after a terminal one.
 * The topic is subscribed to before the state is read, so nothing published in between is missed; the state
 * is read (and the caller's access checked) before the stream is returned, so an unknown backfill is the
 * subscription's error. A Repeater rather than an async generator: when the subscriber goes, it ends at once
 * and lets go of the topic, instead of waiting for the backfill's next event.
 */
async function progressOf(backfillId: string, ctx: PartnersContext): Promise<AsyncIterable<BackfillProgress>> {
  const events = await ctx.events.subscribe<BackfillProgressEvent>(progressTopic(backfillId));
  let first: BackfillProgress;
  try {
    first = await currentState(backfillId, ctx);
  } catch (error) {
    await events.return?.();
    throw error;
  }
  return new Repeater<BackfillProgress>(async (push, stop) => {
    void stop.then(() => events.return?.());
    let last = first;
    await push(last);
    while (!TERMINAL.has(last.status)) {
      const next = await events.next();
      if (next.done) break;
      const event: BackfillProgressEvent = next.value;
      if (event.status === 'RUNNING' && last.status === 'RUNNING' && event.processed < last.processed) continue;
      last = { ...event, status: event.status as BackfillStatus, phase: phaseOf(event.status) };
      await push(last);
    }
    stop();
    await events.return?.();
  });
}

@Resolver(() => BackfillProgress)
export class BackfillProgressResolver {
  @Authorized()
  @Subscription(() => BackfillProgress, {
    description:
      "A backfill's progress: the state now, an event per change (a few a second at most), the terminal status last, then complete. Admins, services, and a partner for its own backfills.",
    subscribe: ({ args, context }) => progressOf(args.backfillId as string, context as PartnersContext),
  })
  backfillProgress(@Root() event: BackfillProgress, @Arg('backfillId', () => ID) _backfillId: string): BackfillProgress {
    return event;
  }

  /** The backfill itself, read afresh for each event (a subscription's context lives as long as it does). */
  @FieldResolver(() => Backfill)
  async backfill(@Root() event: BackfillProgress, @Ctx() ctx: PartnersContext): Promise<Backfill> {
    ctx.backfillRuns.clear(event.backfillId);
    return backfillOf(event.backfillId, await ctx.backfillRuns.load(event.backfillId));
  }
}
