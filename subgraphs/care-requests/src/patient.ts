import { Connection, DateScalar, queryPage, Resource, Sex, SinceArgs, sincePage } from '@care-graph/service-kit';
import { Args, Authorized, Ctx, Directive, Field, FieldResolver, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { CareRequestsContext } from './context';
import type { Patient as PatientRow } from './generated/prisma/client';

@ObjectType({ simpleResolvers: true })
export class Address {
  @Field(() => String, { nullable: true }) line1!: string | null;
  @Field(() => String, { nullable: true }) city!: string | null;
  @Field(() => String, { nullable: true }) state!: string | null;
  @Field(() => String, { nullable: true }) postalCode!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A patient as the care-request source knows them. The full SSN is never returned.' })
@Directive('@key(fields: "id")')
export class Patient extends Resource {
  @Field() givenName!: string;
  @Field(() => String, { nullable: true }) middleName!: string | null;
  @Field() familyName!: string;
  @Field(() => DateScalar) dateOfBirth!: Date;
  @Field(() => Sex) sex!: Sex;
  @Field(() => String, { nullable: true }) memberId!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class PatientConnection extends Connection(Patient, 'Patient') {}

@Resolver(() => Patient)
export class PatientResolver {
  @Authorized('service')
  @Query(() => PatientConnection, { description: 'Patients, oldest change first.' })
  async patients(@Args() args: SinceArgs, @Ctx() ctx: CareRequestsContext): Promise<PatientConnection> {
    return sincePage(ctx, 'Patient', args, (query) => queryPage<PatientRow>(ctx.prisma, 'Patient', query));
  }

  @FieldResolver(() => String, { nullable: true, description: 'The last four digits of the SSN (the full number is never returned).' })
  ssnLast4(@Root() patient: PatientRow): string | null {
    return patient.ssn ? patient.ssn.slice(-4) : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "For service tokens (the backfill runner): the SSN sealed for pop-health's matcher, to pass to matchPatients as sealedSsn unchanged; it reads as nothing else. Null for every other caller.",
  })
  sealedSsn(@Root() patient: PatientRow, @Ctx() ctx: CareRequestsContext): string | null {
    // Null rather than FORBIDDEN: a client that selects every field (a generated query) is not refused for it.
    return patient.ssn && ctx.identity.role === 'service' ? ctx.ssnSealer.seal(patient.ssn) : null;
  }

  @FieldResolver(() => Address, { nullable: true })
  address(@Root() patient: PatientRow): Address | null {
    const { addressLine1, city, state, postalCode } = patient;
    if (!addressLine1 && !city && !state && !postalCode) return null;
    return { line1: addressLine1, city, state, postalCode };
  }
}
