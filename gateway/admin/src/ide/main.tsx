/**
 * The offline GraphQL IDE: GraphiQL from the project's own dependencies (no CDN), against the gateway's
 * `/graphql` — HTTP for queries and mutations, graphql-ws for subscriptions, both authorised by the
 * `authorization` header of the headers editor. In embedded mode the header comes pre-filled with a
 * development admin token. `/graphiql?query=…` opens with that operation in the editor.
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { getOperationAST, parse } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { type DashboardSettings, fetchDevToken, fetchSettings } from '../api';

const EXAMPLE = `# Care Graph: one GraphQL endpoint over care-requests, pop-health and partners.
# Run with Ctrl-Enter. Subscriptions (backfillProgress, dataLoaded) go over graphql-ws.
query Partners {
  partners(first: 10) {
    edges { node { id name } }
    transactionTime
  }
}
`;

const http = createGraphiQLFetcher({ url: '/graphql' });
const sockets = new Map<string, Client>();

/** One socket per authorization header, so a token changed in the headers editor takes effect. */
function socketFor(authorization: string | undefined): Client {
  const key = authorization ?? '';
  let socket = sockets.get(key);
  if (!socket) {
    socket = createClient({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      connectionParams: authorization ? { authorization } : {},
    });
    sockets.set(key, socket);
  }
  return socket;
}

const isSubscription = (query: string, operationName?: string | null): boolean => {
  try {
    return getOperationAST(parse(query), operationName ?? undefined)?.operation === 'subscription';
  } catch {
    return false; // the server reports the syntax error
  }
};

const fetcher: Fetcher = (params, options) => {
  if (!isSubscription(params.query, params.operationName)) return http(params, options);
  const headers = Object.fromEntries(Object.entries(options?.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return socketFor(headers.authorization)
    .iterate({ query: params.query, variables: params.variables, operationName: params.operationName ?? undefined })
    [Symbol.asyncIterator]() as never;
};

async function start() {
  let settings: DashboardSettings | null = null;
  let token: string | null = null;
  try {
    settings = await fetchSettings();
    if (settings.devTokens) token = await fetchDevToken();
  } catch {
    // Without settings the IDE still works: the user pastes a token into the headers editor.
  }
  const headers = JSON.stringify({ authorization: token ? `Bearer ${token}` : 'Bearer <paste a token>' }, null, 2);
  createRoot(document.getElementById('ide')!).render(
    <StrictMode>
      <GraphiQL
        fetcher={fetcher}
        defaultQuery={EXAMPLE}
        initialQuery={new URLSearchParams(location.search).get('query') ?? undefined}
        initialHeaders={headers}
        defaultEditorToolsVisibility="headers"
      />
    </StrictMode>,
  );
}

void start();
