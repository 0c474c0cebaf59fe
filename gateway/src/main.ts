/** Runs the gateway alone (production): subgraph URLs, keys and port from the environment. */
import { createLogger } from '@care-graph/service-kit';
import { gatewayOptionsFromEnv } from './config';
import { startGateway } from './gateway';

const logger = createLogger('gateway');
startGateway({ ...gatewayOptionsFromEnv(), logger }).then(
  (gateway) => {
    const stop = () => gateway.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (error: Error) => {
    logger.error('failed to start', { message: error.message });
    process.exit(1);
  },
);
