/** What the roster tests share: a roster file with good and bad rows, and the graph with a partner. */
import { CreatePartnerDocument, IngestRosterDocument } from '@care-graph/operations';
import { type DatabaseKind, type Graph, startGraph } from '../../../scripts/in-process-graph';

export { HEADER, ROWS } from './roster-rows';

export interface RosterGraph {
  graph: Graph;
  partnerId: string;
  /** Ingests `content` for the partner with the `ingestRoster` mutation, as an admin. */
  ingest(content: string, fileName?: string, kind?: 'CURRENT' | 'BACKFILL'): ReturnType<typeof ingestAsAdmin>;
}

const ingestAsAdmin = (
  graph: Graph,
  partnerId: string,
  content: string,
  fileName = 'roster.csv',
  kind: 'CURRENT' | 'BACKFILL' = 'BACKFILL',
) => graph.run('admin', IngestRosterDocument, { input: { partnerId, kind, fileName, content } });

/** The in-process graph on `kind` with one partner named `partnerName` (for a describe block's beforeAll). */
export async function startGraphWithPartner(kind: DatabaseKind, partnerName: string, env?: Record<string, string>): Promise<RosterGraph> {
  const graph = await startGraph(kind, { env });
  const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: partnerName } });
  return {
    graph,
    partnerId: createPartner.id,
    ingest: (content, fileName, kind) => ingestAsAdmin(graph, createPartner.id, content, fileName, kind),
  };
}
