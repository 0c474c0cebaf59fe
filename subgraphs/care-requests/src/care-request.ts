import { Arg, Authorized, Ctx, Directive, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root, registerEnumType } from 'type-graphql';
import {
  Connection, DateTimeRange, DateTimeScalar, ResourceMeta, KEYSET_ORDER, afterCursor, badUserInput, keysetPage, metaOf, visibleAt,
} from '@care-graph/service-kit';
import { CareRequestStatus } from './generated/prisma/enums';
import type { CareRequest as CareRequestRow } from './generated/prisma/client';
import type { CareRequestsContext } from './context';
import { Patient } from './patient';

registerEnumType(CareRequestStatus, { name: 'CareRequestStatus' });

@ObjectType({ description: 'A request for care for one patient.' })
@Directive('@key(fields: "id")')
export class CareRequest {
  @Field(() => ID) id!: string;
  @Field(() => CareRequestStatus) status!: CareRequestStatus;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType()
export class CareRequestConnection extends Connection(CareRequest, 'CareRequest') {}

@Resolver(() => CareRequest)
export class CareRequestResolver {
  @Authorized('service')
  @Query(() => CareRequest, { nullable: true })
  careRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: CareRequestsContext) {
    return ctx.careRequests.load(id);
  }

  @Authorized('service')
  @Query(() => CareRequestConnection, { description: 'Care requests, oldest change first; `createdAt` narrows to a creation window.' })
  async careRequests(
    @Ctx() ctx: CareRequestsContext,
    @Arg('createdAt', () => DateTimeRange, { nullable: true }) createdAt?: DateTimeRange,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<CareRequestConnection> {
    if (createdAt?.from && createdAt.until && createdAt.from >= createdAt.until) {
      throw badUserInput('createdAt.from must be before createdAt.until (from is inclusive, until exclusive).', { argument: 'createdAt' });
    }
    const transactionTime = await ctx.watermark();
    const created = { ...(createdAt?.from ? { gte: createdAt.from } : {}), ...(createdAt?.until ? { lt: createdAt.until } : {}) };
    return keysetPage({ first }, transactionTime, (take) =>
      ctx.prisma.careRequest.findMany({
        where: { AND: [visibleAt(transactionTime), afterCursor(after), Object.keys(created).length ? { createdAt: created } : {}] },
        orderBy: [...KEYSET_ORDER],
        take,
      }),
    ) as Promise<CareRequestConnection>;
  }

  @FieldResolver(() => Patient)
  async patient(@Root() careRequest: CareRequestRow, @Ctx() ctx: CareRequestsContext) {
    return ctx.patients.load(careRequest.patientId);
  }

  @FieldResolver(() => ResourceMeta)
  meta(@Root() careRequest: CareRequestRow): ResourceMeta {
    return metaOf(careRequest);
  }
}
