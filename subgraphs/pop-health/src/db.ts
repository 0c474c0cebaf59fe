import { type DatabaseOptions, openDatabase } from '@care-graph/service-kit';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient };
export const openPopHealthDatabase = (options: Omit<DatabaseOptions, 'service'>) =>
  openDatabase({ ...options, service: 'pop-health' }, (adapter) => new PrismaClient({ adapter }));
