/**
 * The audit log: one `AuditEvent` per public write, as the gateway saw it (gateway/src/plugins/audit.ts and
 * gateway/src/routes/roster-upload.ts record them here through `recordAuditEvents`). It says who, what (the
 * operation, its root fields and the ids involved — never any other argument value, which may be PHI), when,
 * from where and the outcome. Admins read it as `auditEvents`, a list like every other (`lastUpdated`, cursors,
 * `transactionTime`); old records are pruned by `audit-retention.ts`.
 */
import { badUserInput, Connection, DateTimeScalar, queryPage, Resource, SinceArgs, sincePage, writeStamp } from '@care-graph/service-kit';
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  registerEnumType,
} from 'type-graphql';
import type { PopHealthContext } from './context';
import type { AuditEvent as AuditEventRow } from './generated/prisma/client';
import { AuditOutcome } from './generated/prisma/enums';

registerEnumType(AuditOutcome, {
  name: 'AuditOutcome',
  description: 'How a recorded operation ended.',
  valuesConfig: {
    SUCCESS: { description: 'It ran without an error.' },
    FAILED: { description: 'It ran, or was attempted, and failed (its errorCodes say how).' },
    DENIED: { description: 'It was refused: UNAUTHENTICATED, FORBIDDEN, OPERATION_LIMIT_EXCEEDED or TOO_MANY_REQUESTS.' },
  },
});

/** Most ids one record keeps; `idsTotal` counts them all (an import of 10,000 care requests names them all). */
const MAX_AUDIT_IDS = 100;
/** Most records one `recordAuditEvents` call may carry (the gateway sends one or a small retried batch). */
const MAX_EVENTS_PER_CALL = 500;
const TRANSPORTS = ['http', 'graphql-ws', 'sse', 'rosters-upload'];

@ObjectType({ simpleResolvers: true, description: 'Who did it: the verified identity, or `anonymous` when the token was refused.' })
class AuditActor {
  @Field({ description: "The token's subject, or anonymous." }) subject!: string;
  @Field({ description: 'admin, partner, service, or anonymous.' }) role!: string;
  @Field(() => ID, { nullable: true, description: "A partner token's partner." }) partnerId!: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'One public write (a mutation, or a roster upload at POST /rosters): who, what, when, from where and the outcome. ' +
    'It names ids only, never other values (names, dates of birth, SSNs, file content).',
})
class AuditEvent extends Resource {
  @Field(() => DateTimeScalar, { description: 'When the gateway answered the request (meta.lastUpdated: when it was recorded).' })
  at!: Date;
  @Field(() => AuditActor) actor!: AuditActor;
  @Field(() => String, { nullable: true, description: "The operation's name, as the client sent it." }) operationName!: string | null;
  @Field(() => [String], { description: 'The root fields of the operation (for POST /rosters: ingestRoster).' }) fields!: string[];
  @Field(() => [ID], { description: `The ids involved (arguments of type ID and the results' ids), the first ${MAX_AUDIT_IDS}.` })
  ids!: string[];
  @Field(() => Int, { description: 'How many ids were involved in all.' }) idsTotal!: number;
  @Field(() => AuditOutcome) outcome!: AuditOutcome;
  @Field(() => [String], { description: "The errors' codes (never their messages)." }) errorCodes!: string[];
  @Field(() => String, { nullable: true, description: "The client's address (X-Forwarded-For only with TRUST_PROXY=on)." })
  clientIp!: string | null;
  @Field({ description: 'The request id (the x-request-id the client sent, or the one the gateway gave it).' }) requestId!: string;
  @Field({ description: 'http (GraphQL over HTTP at /graphql), graphql-ws, sse, or rosters-upload (POST /rosters).' })
  transport!: string;
}

@ObjectType({ simpleResolvers: true })
export class AuditEventConnection extends Connection(AuditEvent, 'AuditEvent') {}

@ArgsType()
class AuditEventsArgs extends SinceArgs {
  @Field(() => String, { nullable: true, description: "Only this actor's records (the token's subject, or anonymous)." })
  actor?: string | null;
  @Field(() => String, { nullable: true, description: 'Only records of this operation name or root field (e.g. startBackfill).' })
  operation?: string | null;
  @Field(() => AuditOutcome, { nullable: true, description: 'Only records with this outcome.' })
  outcome?: AuditOutcome | null;
}

@InputType({ description: 'Service only: who made a recorded request.' })
class AuditActorInput {
  @Field() subject!: string;
  @Field() role!: string;
  @Field(() => ID, { nullable: true }) partnerId?: string | null;
}

@InputType({ description: 'Service only: one record of the audit log, as the gateway saw the request.' })
export class AuditEventInput {
  @Field(() => ID, { description: 'Chosen by the gateway, so that sending a record again does not record it twice.' }) id!: string;
  @Field(() => DateTimeScalar) at!: Date;
  @Field(() => AuditActorInput) actor!: AuditActorInput;
  @Field(() => String, { nullable: true }) operationName?: string | null;
  @Field(() => [String]) fields!: string[];
  @Field(() => [ID]) ids!: string[];
  @Field(() => Int) idsTotal!: number;
  @Field(() => AuditOutcome) outcome!: AuditOutcome;
  @Field(() => [String]) errorCodes!: string[];
  @Field(() => String, { nullable: true }) clientIp?: string | null;
  @Field() requestId!: string;
  @Field() transport!: string;
}

/** The GraphQL shape of a row: the actor's three columns as one object. */
function actorOf(row: AuditEventRow): AuditActor {
  return { subject: row.actorSubject, role: row.actorRole, partnerId: row.actorPartnerId };
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Authorized('service')
  @Mutation(() => Int, {
    description: 'Service only (the gateway): records audit events; a record sent again (same id) is kept once. Answers how many were new.',
  })
  async recordAuditEvents(
    @Arg('events', () => [AuditEventInput]) events: AuditEventInput[],
    @Ctx() ctx: PopHealthContext,
  ): Promise<number> {
    if (events.length > MAX_EVENTS_PER_CALL) {
      throw badUserInput(`At most ${MAX_EVENTS_PER_CALL} events a call; got ${events.length}.`, { argument: 'events' });
    }
    events.forEach((event, index) => {
      if (!TRANSPORTS.includes(event.transport))
        throw badUserInput(`events.${index}.transport must be one of ${TRANSPORTS.join(', ')}.`, { field: `events.${index}.transport` });
      if (event.ids.length > MAX_AUDIT_IDS || event.idsTotal < event.ids.length)
        throw badUserInput(`events.${index} may name at most ${MAX_AUDIT_IDS} ids, and idsTotal counts at least those.`, {
          field: `events.${index}.ids`,
        });
    });
    if (events.length === 0) return 0;
    const { count, stamp } = await ctx.prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      const { count } = await tx.auditEvent.createMany({
        data: events.map((event) => ({
          id: event.id,
          lastUpdated: stamp,
          occurredAt: event.at,
          actorSubject: event.actor.subject,
          actorRole: event.actor.role,
          actorPartnerId: event.actor.partnerId ?? null,
          operationName: event.operationName ?? null,
          fields: event.fields,
          ids: event.ids,
          idsTotal: event.idsTotal,
          outcome: event.outcome,
          errorCodes: event.errorCodes,
          clientIp: event.clientIp ?? null,
          requestId: event.requestId,
          transport: event.transport,
        })),
        skipDuplicates: true,
      });
      return { count, stamp };
    });
    ctx.clock.noteWrite('AuditEvent', stamp);
    return count;
  }

  @Authorized('admin')
  @Query(() => AuditEventConnection, {
    description:
      'Admin: the audit log, oldest record first: every mutation and roster upload, with who, what, when, where and the outcome.',
  })
  async auditEvents(@Args() args: AuditEventsArgs, @Ctx() ctx: PopHealthContext): Promise<AuditEventConnection> {
    const actor = args.actor ?? null;
    const operation = args.operation ?? null;
    const outcome = args.outcome ?? null;
    const page = await sincePage(
      ctx,
      'AuditEvent',
      args,
      (query) =>
        queryPage<AuditEventRow>(ctx.prisma, 'AuditEvent', query, (values) => [
          ...(actor ? [`t."actorSubject" = $${values.push(actor)}`] : []),
          ...(operation ? [`(t."operationName" = $${values.push(operation)} OR $${values.length}::text = ANY(t."fields"))`] : []),
          ...(outcome ? [`t."outcome"::text = $${values.push(outcome)}`] : []),
        ]),
      { actor, operation, outcome },
    );
    return {
      ...page,
      edges: page.edges.map((edge) => ({
        cursor: edge.cursor,
        node: { ...edge.node, at: edge.node.occurredAt, actor: actorOf(edge.node) } as unknown as AuditEvent,
      })),
    };
  }
}
