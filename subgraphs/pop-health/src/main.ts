import { runSubgraphProcess } from '@care-graph/service-kit';
import { popHealthSubgraph } from './index';

runSubgraphProcess(popHealthSubgraph);
