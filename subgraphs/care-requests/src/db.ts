import { type DatabaseOptions, openDatabase } from '@care-graph/service-kit';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient };
export const openCareRequestsDatabase = (options: Omit<DatabaseOptions, 'service'>) =>
  openDatabase({ ...options, service: 'care-requests' }, (adapter) => new PrismaClient({ adapter }));
