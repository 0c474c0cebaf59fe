import {
  badUserInput,
  Connection,
  DateTimeRange,
  DateTimeScalar,
  queryPage,
  Resource,
  SinceArgs,
  sincePage,
} from '@care-graph/service-kit';
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  ObjectType,
  Query,
  Resolver,
  Root,
  registerEnumType,
} from 'type-graphql';
import type { CareRequestsContext } from './context';
import type { CareRequest as CareRequestRow } from './generated/prisma/client';
import { CareRequestStatus } from './generated/prisma/enums';
import { Patient } from './patient';

registerEnumType(CareRequestStatus, { name: 'CareRequestStatus' });

@ObjectType({ simpleResolvers: true, description: 'A request for care for one patient.' })
@Directive('@key(fields: "id")')
export class CareRequest extends Resource {
  @Field(() => CareRequestStatus) status!: CareRequestStatus;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class CareRequestConnection extends Connection(CareRequest, 'CareRequest') {}

@ArgsType()
export class CareRequestsArgs extends SinceArgs {
  @Field(() => DateTimeRange, { nullable: true, description: 'Creation window: from inclusive, until exclusive.' })
  createdAt?: DateTimeRange | null;
}

@Resolver(() => CareRequest)
export class CareRequestResolver {
  @Authorized('service')
  @Query(() => CareRequest, { nullable: true })
  careRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: CareRequestsContext) {
    return ctx.careRequests.load(id);
  }

  @Authorized('service')
  @Query(() => CareRequestConnection, { description: 'Care requests, oldest change first; `createdAt` narrows to a creation window.' })
  async careRequests(@Args() args: CareRequestsArgs, @Ctx() ctx: CareRequestsContext): Promise<CareRequestConnection> {
    const { createdAt } = args;
    if (createdAt?.from && createdAt.until && createdAt.from >= createdAt.until) {
      throw badUserInput('createdAt.from must be before createdAt.until (from is inclusive, until exclusive).', { argument: 'createdAt' });
    }
    return sincePage(
      ctx,
      'CareRequest',
      args,
      (query) =>
        queryPage<CareRequestRow>(ctx.prisma, 'CareRequest', query, (params) => [
          ...(createdAt?.from ? [`t."createdAt" >= $${params.push(createdAt.from.toISOString())}::timestamptz`] : []),
          ...(createdAt?.until ? [`t."createdAt" < $${params.push(createdAt.until.toISOString())}::timestamptz`] : []),
        ]),
      { createdAt: [createdAt?.from?.toISOString() ?? null, createdAt?.until?.toISOString() ?? null] },
    );
  }

  @FieldResolver(() => Patient)
  async patient(@Root() careRequest: CareRequestRow, @Ctx() ctx: CareRequestsContext) {
    return ctx.patients.load(careRequest.patientId);
  }
}
