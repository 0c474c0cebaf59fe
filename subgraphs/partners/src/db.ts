import { type DatabaseOptions, openDatabase } from '@care-graph/service-kit';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient };
export const openPartnersDatabase = (options: Omit<DatabaseOptions, 'service'>) =>
  openDatabase({ ...options, service: 'partners' }, (adapter) => new PrismaClient({ adapter }));
