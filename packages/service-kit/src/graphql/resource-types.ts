/**
 * The GraphQL types every subgraph shares: resource metadata, connections and their page info.
 * They are `@shareable`: each subgraph declares the same shape and the supergraph merges them.
 */
import 'reflect-metadata';
import { type ClassType, Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars';

@ObjectType({ simpleResolvers: true, description: 'Resource metadata, as in FHIR `meta`.' })
@Directive('@shareable')
export class ResourceMeta {
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the resource last changed; null for legacy records.' })
  lastUpdated!: Date | null;
}

/** Resolves `meta` from a row's `lastUpdated` column. */
export function metaOf(row: { lastUpdated: Date | null }): ResourceMeta {
  return { lastUpdated: row.lastUpdated };
}

/**
 * What every resource type has: `id` and `meta`. Entities extend it; `meta` is resolved from the row's
 * `lastUpdated` by `buildFederatedSchema` for every type, so no entity repeats that resolver.
 */
@ObjectType({ simpleResolvers: true })
export abstract class Resource {
  @Field(() => ID)
  id!: string;

  /** Resolved from the row, so rows need not carry it. */
  @Field(() => ResourceMeta)
  meta?: ResourceMeta;
}

@ObjectType({ simpleResolvers: true })
@Directive('@shareable')
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@InputType({ description: 'An instant range: `from` inclusive, `until` exclusive.' })
export class DateTimeRange {
  @Field(() => DateTimeScalar, { nullable: true })
  from?: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  until?: Date;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface ConnectionShape<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  transactionTime: Date;
}

/** Declares `<Name>Edge` and `<Name>Connection` for a node type. */
export function Connection<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class EdgeType {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class ConnectionType implements ConnectionShape<T> {
    @Field(() => [EdgeType])
    edges!: Edge<T>[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => DateTimeScalar, {
      description: 'The server watermark: every write stamped at or before it is visible; nothing newer is returned.',
    })
    transactionTime!: Date;
  }
  return ConnectionType;
}

/** Page size arguments shared by every list. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
