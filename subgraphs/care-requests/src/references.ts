/** Entities other services own, as far as care-requests refers to them: only their keys. */
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id", resolvable: false)')
export class Partner {
  @Field(() => ID) id!: string;
}
