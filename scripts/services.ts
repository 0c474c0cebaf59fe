/** The three subgraph services, in the order the supervisor starts them. */
export const SERVICES = ['care-requests', 'pop-health', 'partners'] as const;
export type ServiceName = (typeof SERVICES)[number];
