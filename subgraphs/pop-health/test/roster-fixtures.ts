/** What the roster tests share: a roster file with good and bad rows, and the graph with a partner. */
import { CreatePartnerDocument, IngestRosterDocument } from '@care-graph/operations';
import { type DatabaseKind, type Graph, startGraph } from '../../../scripts/in-process-graph';

export const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
export const ROWS = [
  'M1,Ann,Marie,Lee,1950-06-05,F,123-45-6780,1 Main St,Denver,CO,80201',
  'M2,Clara,,Lee,1950-06-05,F,,1 Main St,Denver,CO,80201', // Ann's twin
  'M3,William,,García-López,1948-11-30,M,,5 Oak Ave,Boulder,CO,80301',
  'M4,Robert,,Ng,1948-13-30,M,,,,,', // bad date
  'M5,Zoe,,Park,1990-01-01,X,,,,,', // unknown sex code
  'M6,,,Nameless,1990-01-01,F,,,,,', // missing first name
  'M7,Sam,,Short,1990-01-01,F,1234,,,,', // SSN not 9 digits
  'M1,Ann,,Lee,1950-06-05,F,,,,,', // duplicate member id
  'M8,Peggy,,Olson,1939-02-20,F,000000000,,,,', // placeholder SSN: kept, as no SSN
];

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
export async function startGraphWithPartner(kind: DatabaseKind, partnerName: string): Promise<RosterGraph> {
  const graph = await startGraph(kind);
  const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: partnerName } });
  return {
    graph,
    partnerId: createPartner.id,
    ingest: (content, fileName, kind) => ingestAsAdmin(graph, createPartner.id, content, fileName, kind),
  };
}
