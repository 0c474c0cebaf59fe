/**
 * Apollo's reporting stays off: usage and schema reports, and @apollo/gateway's anonymous telemetry, would
 * send operation and schema details off the machine, and Care Graph serves health data.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';

/**
 * The Apollo Server plugins that disable usage and schema reporting. Also sets `APOLLO_TELEMETRY_DISABLED`
 * unless the operator chose a value: @apollo/gateway reads it when an `ApolloGateway` is constructed, so call
 * this before constructing one.
 */
export function telemetryDisabled(): ApolloServerPlugin[] {
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  return [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()];
}
