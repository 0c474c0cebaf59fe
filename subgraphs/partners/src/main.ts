import { runSubgraphProcess } from '@care-graph/service-kit';
import { partnersSubgraph } from './index';

runSubgraphProcess(partnersSubgraph);
