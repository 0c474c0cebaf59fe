/**
 * The dashboard's only way to the server: the public `/graphql` endpoint (HTTP for queries and mutations,
 * graphql-ws for subscriptions) with the typed documents of `schema/operations`, and `POST /rosters` for
 * roster files. Every call carries the signed-in token; an UNAUTHENTICATED answer signs the user out.
 */
import { GraphQLRequestError, request } from '@care-graph/operations';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';

export { GraphQLRequestError };

/** What the gateway says about itself to the dashboard (`GET /admin/settings.json`). */
export interface DashboardSettings {
  mode: 'embedded' | 'production';
  /** Embedded mode only: `POST /admin/dev-token` mints an admin token. */
  devTokens: boolean;
  ide: boolean;
}

export async function fetchSettings(): Promise<DashboardSettings> {
  const response = await fetch('/admin/settings.json');
  if (!response.ok) throw new Error(`The gateway did not answer /admin/settings.json (HTTP ${response.status}).`);
  return response.json();
}

/** A development admin token from the gateway (embedded mode only). */
export async function fetchDevToken(): Promise<string> {
  const response = await fetch('/admin/dev-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message ?? `The gateway refused a development token (HTTP ${response.status}).`);
  return body.token;
}

type Unauthenticated = (message: string) => void;

/** A GraphQL client bound to one token; `onUnauthenticated` hears when the server no longer accepts it. */
export class Api {
  private ws: Client | undefined;

  constructor(
    readonly token: string,
    private readonly onUnauthenticated: Unauthenticated,
  ) {}

  async query<Result, Variables>(document: TypedDocumentNode<Result, Variables>, variables: Variables): Promise<Result> {
    try {
      return await (request as (o: object, d: unknown, v: unknown) => Promise<Result>)(
        { url: '/graphql', token: this.token },
        document,
        variables,
      );
    } catch (error) {
      if (error instanceof GraphQLRequestError && error.codes.includes('UNAUTHENTICATED')) this.onUnauthenticated(error.errors[0].message);
      throw error;
    }
  }

  /**
   * Subscribes over graphql-ws. The socket reconnects by itself after a network drop (with a growing wait, at
   * most 5 s) and resubscribes, so the subscription's first event — the current state — arrives again.
   */
  subscribe<Result, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
    sink: { next: (data: Result) => void; error: (error: GraphQLRequestError) => void; complete: () => void },
  ): () => void {
    return this.socket().subscribe<Result>(
      { query: print(document), variables },
      {
        next: (result) => {
          if (result.errors?.length) sink.error(new GraphQLRequestError(200, result.errors as never));
          else if (result.data) sink.next(result.data as Result);
        },
        error: (error) => sink.error(socketError(error, this.onUnauthenticated)),
        complete: sink.complete,
      },
    );
  }

  /** The socket's state as the live view shows it. */
  onConnection(listener: (state: 'connected' | 'reconnecting') => void): () => void {
    const socket = this.socket();
    const off = [socket.on('connected', () => listener('connected')), socket.on('closed', () => listener('reconnecting'))];
    return () => {
      for (const unsubscribe of off) unsubscribe();
    };
  }

  close(): void {
    void this.ws?.dispose();
  }

  private socket(): Client {
    this.ws ??= createClient({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** retries))),
      // 4403: the token may not subscribe; retrying changes nothing.
      shouldRetry: (event) => !(typeof event === 'object' && event !== null && (event as CloseEvent).code === 4403),
    });
    return this.ws;
  }
}

function socketError(error: unknown, onUnauthenticated: Unauthenticated): GraphQLRequestError {
  if (error instanceof GraphQLRequestError) return error;
  if (Array.isArray(error)) return new GraphQLRequestError(200, error);
  const close = error as Partial<CloseEvent>;
  if (close?.code === 4401) {
    onUnauthenticated(close.reason || 'The token is no longer accepted.');
    return new GraphQLRequestError(401, [{ message: close.reason || 'Not signed in.', extensions: { code: 'UNAUTHENTICATED' } }]);
  }
  const reason = close?.reason || (error as Error)?.message || 'the connection failed';
  return new GraphQLRequestError(0, [{ message: `The live connection closed: ${reason}.`, extensions: { code: 'CONNECTION_CLOSED' } }]);
}

/** The ingestion result `POST /rosters` answers with (the stored roster). */
export interface UploadedRoster {
  id: string;
  partnerId: string;
  kind: 'CURRENT' | 'BACKFILL';
  fileName: string;
  status: string;
  rowCount: number;
  acceptedCount: number;
  rejectedCount: number;
  rejectedRows: { line: number; memberId: string | null; reason: string }[];
}

/** An HTTP refusal of `POST /rosters`: its code and sentence. */
class UploadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Streams `file` to `POST /rosters` (the browser sends it as it reads it; nothing is held in a string), reporting
 * the bytes sent. XMLHttpRequest, because fetch has no upload progress. Resolves with the ingested roster.
 */
export function uploadRoster(
  token: string,
  params: { partnerId: string; kind: string; file: File },
  onProgress: (sent: number, total: number) => void,
): { done: Promise<UploadedRoster>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const url = `/rosters?${new URLSearchParams({ partnerId: params.partnerId, kind: params.kind, fileName: params.file.name })}`;
  const done = new Promise<UploadedRoster>((resolve, reject) => {
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : params.file.size);
    xhr.onerror = () => reject(new UploadError('NETWORK_ERROR', 'The upload failed: the gateway could not be reached.'));
    xhr.onabort = () => reject(new UploadError('ABORTED', 'The upload was cancelled.'));
    xhr.onload = () => {
      let body: { roster?: UploadedRoster; error?: { code: string; message: string } } = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // answered below from the status
      }
      if (xhr.status >= 200 && xhr.status < 300 && body.roster) resolve(body.roster);
      else
        reject(new UploadError(body.error?.code ?? `HTTP_${xhr.status}`, body.error?.message ?? `The upload failed (HTTP ${xhr.status}).`));
    };
  });
  xhr.open('POST', url);
  xhr.setRequestHeader('authorization', `Bearer ${token}`);
  xhr.setRequestHeader('content-type', 'text/csv');
  xhr.send(params.file);
  return { done, abort: () => xhr.abort() };
}

/** The first error's message, and the input field it names (`extensions.field` = `input.startDate` → `startDate`). */
export function describeError(error: unknown): { message: string; field?: string; code?: string } {
  if (error instanceof GraphQLRequestError) {
    const first = error.errors[0];
    const field = first?.extensions?.field;
    return {
      message: first?.message ?? error.message,
      code: first?.extensions?.code,
      field: typeof field === 'string' ? field.replace(/^input\./, '') : undefined,
    };
  }
  if (error instanceof UploadError) return { message: error.message, code: error.code };
  return { message: (error as Error)?.message ?? String(error) };
}
