/**
 * Request deadlines and cancellation, the same at the gateway and in every subgraph.
 *
 * Each `/graphql` request runs in a scope holding an AbortSignal that fires when the request's deadline
 * (`REQUEST_TIMEOUT_MS`) passes or its client goes away before the answer. What reads the scope:
 * - the gateway's subgraph fetches carry the signal, so an aborted request sends nothing more and cuts the
 *   fetches in flight — which the subgraph sees as its own client going away;
 * - every Prisma statement of a request checks it first (`cancellable`), so an abandoned query stops at its
 *   next statement instead of loading the rest of its lists; PostgreSQL's `statement_timeout` bounds the one
 *   statement already running (open-database.ts). PGlite has no statement timeout (it ignores the setting).
 *
 * Mutations are never cancelled halfway: a write whose client left still completes, whatever it spans (the
 * Apollo plugin below marks the scope). Only the request's own work is in the scope: background work (the
 * backfill runner, housekeeping) never is.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { requestIdOf } from '../auth/tokens';
import { integerSetting } from './config';
import type { Logger } from './logger';

/** Default deadline of one request: long enough for an admin's largest import batch, short for a runaway query. */
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** The request deadline of `env` (`REQUEST_TIMEOUT_MS`, 100 ms to 1 hour). */
export function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  return integerSetting(env, 'REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 100, 3_600_000);
}

interface RequestScope {
  signal: AbortSignal;
  /** False once the operation turned out to be a mutation: it runs to its end. */
  cancellable: boolean;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** Why a request was cancelled: its deadline passed, or its client went away. */
class RequestCancelled extends Error {
  constructor(
    readonly reason: 'deadline' | 'client-gone',
    readonly timeoutMs: number,
  ) {
    super(reason === 'deadline' ? `deadline of ${timeoutMs} ms passed` : 'client went away');
  }
}

/**
 * The error a cancelled request's remaining work fails with. Past the deadline it is DEADLINE_EXCEEDED with a
 * sentence for the client; when the client went away no one reads it.
 */
function cancellationError(signal: AbortSignal): GraphQLError {
  const reason = signal.reason instanceof RequestCancelled ? signal.reason : undefined;
  if (reason?.reason === 'client-gone') {
    return new GraphQLError('The request was cancelled: its client went away.', { extensions: { code: 'REQUEST_CANCELLED' } });
  }
  const limit = reason ? ` of ${reason.timeoutMs} ms` : '';
  return new GraphQLError(
    `The request did not finish within its deadline${limit} (REQUEST_TIMEOUT_MS) and was stopped. Ask for less (smaller pages, fewer nested lists) and try again.`,
    { extensions: { code: 'DEADLINE_EXCEEDED', http: { status: 504 } } },
  );
}

/** The signal of the request being served here, if it may still be cancelled (none outside a request, none for a mutation). */
export function requestSignal(): AbortSignal | undefined {
  const current = scope.getStore();
  return current?.cancellable ? current.signal : undefined;
}

/** Throws the request's cancellation error if the request being served here was cancelled (a no-op outside one). */
export function throwIfCancelled(): void {
  const signal = requestSignal();
  if (signal?.aborted) throw cancellationError(signal);
}

/** The cancellation error of the current request, when `error` happened because it was cancelled; else `error`. */
export function cancellationOf(error: unknown): unknown {
  const signal = requestSignal();
  return signal?.aborted ? cancellationError(signal) : error;
}

/**
 * Express middleware: runs the rest of the request in a scope whose signal fires at the deadline or when the
 * client goes away first. Mount it after the body parser: a parser's callback runs in the socket's async
 * context, not the request's, and would lose the scope.
 */
export function requestDeadline(options: { timeoutMs: number; logger: Logger }) {
  return (req: Request, res: Response, next: NextFunction) => {
    const controller = new AbortController();
    const started = performance.now();
    const current: RequestScope = { signal: controller.signal, cancellable: true };
    const timer = setTimeout(() => controller.abort(new RequestCancelled('deadline', options.timeoutMs)), options.timeoutMs);
    timer.unref();
    res.on('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished && !controller.signal.aborted) controller.abort(new RequestCancelled('client-gone', options.timeoutMs));
    });
    controller.signal.addEventListener(
      'abort',
      () =>
        options.logger.info('request cancelled', {
          requestId: requestIdOf(req.headers),
          reason: (controller.signal.reason as RequestCancelled).reason,
          cancellable: current.cancellable,
          afterMs: Math.round(performance.now() - started),
        }),
      { once: true },
    );
    scope.run(current, next);
  };
}

/** Marks a mutation's scope as not cancellable once Apollo knows the operation's type. */
export function cancellationPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          const current = scope.getStore();
          if (current && operation?.operation === 'mutation') current.cancellable = false;
        },
      };
    },
  };
}

/**
 * `client` with every statement checking the request's signal first (a Prisma query extension: it runs where
 * the statement is asked for, in the asking request's scope — unlike the driver adapter, where Prisma may send
 * statements of one tick under the first one's scope).
 */
export function cancellable<Client>(client: Client): Client {
  const prisma = client as unknown as { $extends?(extension: unknown): Client };
  if (typeof prisma.$extends !== 'function') return client; // a stand-in without statements (the kit's own tests)
  return prisma.$extends({
    query: {
      $allOperations({ args, query }: { args: unknown; query: (args: unknown) => Promise<unknown> }) {
        throwIfCancelled();
        return query(args);
      },
    },
  });
}
