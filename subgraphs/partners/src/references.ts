/**
 * Entities other services own, as far as partners refers to them: only their keys, plus the field this
 * service contributes to `CareRequest`.
 */
import { Directive, Field, ID, ObjectType } from 'type-graphql';

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

@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id", resolvable: false)')
export class Backfill {
  @Field(() => ID) id!: string;
}
