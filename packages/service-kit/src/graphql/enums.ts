/** Enums more than one subgraph exposes; declared once so that their GraphQL definitions agree. */

import { Sex } from '@care-graph/person';
import { registerEnumType } from 'type-graphql';

registerEnumType(Sex, {
  name: 'Sex',
  description: 'Administrative sex, as sent by the source system.',
  valuesConfig: { F: { description: 'female' }, M: { description: 'male' }, O: { description: 'other' }, U: { description: 'unknown' } },
});

export { Sex };
