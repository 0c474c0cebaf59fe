/**
 * partners: partners and their associations to care requests.
 */
import 'reflect-metadata';
import { DEMO_PARTNERS } from '@care-graph/demo-data';
import {
  accessRule,
  buildFederatedSchema,
  entityReference,
  ownedByPartner,
  type SubgraphDefinition,
  writeStamp,
} from '@care-graph/service-kit';
import { BackfillProgressResolver } from './backfill-progress';
import { BackfillRunResolver, canSeeBackfill } from './backfill-run';
import { configureBackfills, runnerSettings, startBackfillRunner } from './backfill-runner/runner';
import { createContext, type PartnersContext } from './context';
import { openPartnersDatabase, type PrismaClient } from './db';
import { MatchRunnerUpResolver } from './match-explanation';
import { PartnerResolver } from './partner';
import { CareRequestAssociationsResolver, PartnerAssociationResolver } from './partner-association';
import { partnerNameColumns } from './partner-name';
import { type Backfill, backfillOf } from './references';

export function buildPartnersSchema() {
  return buildFederatedSchema<PartnersContext>(
    {
      resolvers: [
        PartnerResolver,
        PartnerAssociationResolver,
        CareRequestAssociationsResolver,
        BackfillRunResolver,
        BackfillProgressResolver,
        MatchRunnerUpResolver,
      ],
    },
    // The rules of the root fields: a partner token sees its own partner and associations, and a care request
    // only as far as it is associated with it (its one way to care requests).
    {
      Partner: entityReference(
        (ref, ctx) => ctx.partners.load(ref.id),
        ownedByPartner((partner) => partner.id),
      ),
      PartnerAssociation: entityReference(
        (ref, ctx) => ctx.associations.load(ref.id),
        ownedByPartner((association) => association.partnerId),
      ),
      // Any backfill id answers (zeros before its run starts), except to a partner token: its own partner's only.
      Backfill: entityReference<Backfill, PartnersContext>(
        async (ref, ctx) => backfillOf(ref.id, await ctx.backfillRuns.load(ref.id)),
        accessRule("its own partner's", canSeeBackfill),
      ),
      CareRequest: entityReference(
        (ref) => ({ id: ref.id }),
        accessRule(
          'those associated with its partner',
          async (careRequest, ctx) =>
            ctx.identity.role !== 'partner' ||
            (await ctx.associationsByCareRequest.load(careRequest.id)).some((row) => row.partnerId === ctx.identity.partnerId),
        ),
      ),
    },
  );
}

export const partnersSubgraph: SubgraphDefinition<PrismaClient, PartnersContext> = {
  name: 'partners',
  tables: ['Partner', 'PartnerAssociation'],
  buildSchema: buildPartnersSchema,
  openDatabase: openPartnersDatabase,
  createContext,
  background({ client, logger, env, callService, clock, database, events }) {
    const settings = runnerSettings(env);
    configureBackfills(client, settings);
    if (!settings.enabled) {
      logger.info('backfill runner off (BACKFILL_RUNNER=off)');
      return async () => undefined;
    }
    const runner = startBackfillRunner({
      prisma: client,
      transaction: database.directTransaction,
      clock,
      callService,
      logger,
      idleQuery: database.uncountedQuery,
      settings,
      events,
    });
    return () => runner.stop();
  },
  async seed(prisma) {
    if ((await prisma.partner.count()) > 0) return false;
    await prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      await tx.partner.createMany({ data: DEMO_PARTNERS.map((p) => ({ ...p, ...partnerNameColumns(p.name), lastUpdated: stamp })) });
    });
    return true;
  },
};
