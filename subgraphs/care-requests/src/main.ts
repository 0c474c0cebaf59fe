import { runSubgraphProcess } from '@care-graph/service-kit';
import { careRequestsSubgraph } from './index';

runSubgraphProcess(careRequestsSubgraph);
