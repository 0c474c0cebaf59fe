/**
 * The gateway's side of the audit log (README, "Audit log"): every public write is recorded in pop-health's
 * `AuditEvent` table through its service-only `recordAuditEvents`, signed as the service identity `gateway`.
 *
 * Contract: `record` is awaited before the response is sent, and never fails the request — the write has
 * happened whether or not its record could be stored. It waits at most `deadlineMs` (AUDIT_DEADLINE_MS, default
 * 2 s); a record that could not be stored is logged as an error with its request id (and nothing of the
 * request's values), kept in memory and sent again with the next one. Each record carries an id chosen here,
 * so a record sent twice is stored once.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { fieldFault } from '@care-graph/limits';
import { type CallService, type Identity, integerSetting, type Logger, switchSetting } from '@care-graph/service-kit';
import { type AuditEventInput, type AuditOutcome, RecordAuditEventsDocument } from '../generated/calls/pop-health';

/** Most ids one record keeps (pop-health's MAX_AUDIT_IDS); `idsTotal` counts them all. */
const MAX_IDS = 100;
/** Records kept for a later attempt while pop-health cannot be reached; beyond that the oldest are dropped (and logged). */
const MAX_PENDING = 1000;
/** Codes of a refusal before anything ran: the record's outcome is DENIED. */
const DENIAL_CODES: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'OPERATION_LIMIT_EXCEEDED', 'TOO_MANY_REQUESTS']);

/** The actor of a request whose token was refused. */
const ANONYMOUS = { subject: 'anonymous', role: 'anonymous', partnerId: null } as const;

/** What a transport knows of one request, to be recorded. */
export interface AuditEntry {
  /** The verified identity; null when the token was refused. */
  identity: Identity | null;
  operationName: string | null;
  /** Root fields of the operation (for POST /rosters: ingestRoster). */
  fields: readonly string[];
  /** Every id involved, in order; repeated ones are kept once. */
  ids: Iterable<string>;
  /** The codes of the errors the caller got; none: SUCCESS. */
  errorCodes: Iterable<string>;
  clientIp: string | null;
  requestId: string;
  transport: 'http' | 'graphql-ws' | 'sse' | 'rosters-upload';
}

export interface AuditSettings {
  /** How long a response waits for its record (AUDIT_DEADLINE_MS). */
  deadlineMs: number;
  /** Whether the client address is taken from X-Forwarded-For (TRUST_PROXY=on: the gateway is behind a proxy that sets it). */
  trustProxy: boolean;
}

/** The audit settings from `env`; throws naming a malformed one. */
export function auditSettings(env: NodeJS.ProcessEnv): AuditSettings {
  return { deadlineMs: integerSetting(env, 'AUDIT_DEADLINE_MS', 2_000, 1, 60_000), trustProxy: switchSetting(env, 'TRUST_PROXY', false) };
}

/**
 * The client's address: the socket's peer, or with `trustProxy` the first address of X-Forwarded-For (the
 * client as the proxy saw it). Never trusted by default: any client can send that header.
 */
export function clientIpOf(req: IncomingMessage, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first && /^[0-9A-Fa-f:.]{2,45}$/.test(first)) return first;
  }
  return req.socket.remoteAddress ?? null;
}

/** The outcome of a request whose caller got `codes`. */
function outcomeOf(codes: readonly string[]): AuditOutcome {
  if (codes.length === 0) return 'SUCCESS';
  return codes.some((code) => DENIAL_CODES.has(code)) ? 'DENIED' : 'FAILED';
}

/** Text pop-health's text rule accepts as `kind`, else null (a record with a bad value would be refused whole). */
const acceptable = (kind: string, value: string | null): string | null => (value !== null && !fieldFault(kind, value) ? value : null);

/** The record of `entry`, with its own id and the time now. */
function auditEventOf(entry: AuditEntry, now = new Date()): AuditEventInput {
  const ids: string[] = [];
  let idsTotal = 0;
  for (const id of new Set(entry.ids)) {
    idsTotal += 1;
    // An id the API would refuse (too long, control characters) is counted, not kept.
    if (ids.length < MAX_IDS && acceptable('id', id) !== null) ids.push(id);
  }
  const errorCodes = [...new Set(entry.errorCodes)].filter((code) => acceptable('code', code) !== null);
  const actor = entry.identity
    ? { subject: entry.identity.subject, role: entry.identity.role, partnerId: entry.identity.partnerId ?? null }
    : ANONYMOUS;
  return {
    id: randomUUID(),
    at: now.toISOString(),
    actor: { ...actor, subject: acceptable('subject', actor.subject) ?? 'unreadable' },
    operationName: acceptable('operationName', entry.operationName),
    fields: [...entry.fields],
    ids,
    idsTotal,
    outcome: outcomeOf(errorCodes),
    errorCodes,
    clientIp: entry.clientIp,
    requestId: entry.requestId,
    transport: entry.transport,
  };
}

/** Where the gateway's records go. */
export class AuditLog {
  private pending: AuditEventInput[] = [];

  constructor(
    private readonly options: {
      /** The gateway's service client, under a request id. */
      callService: (requestId: string) => CallService;
      settings: AuditSettings;
      logger: Logger;
    },
  ) {}

  get settings(): AuditSettings {
    return this.options.settings;
  }

  /** Records `entry` (and any records still pending), waiting at most the deadline; never throws. */
  async record(entry: AuditEntry): Promise<void> {
    const event = auditEventOf(entry);
    const events = [...this.pending, event];
    this.pending = [];
    try {
      await this.options.callService(entry.requestId)(
        'pop-health',
        RecordAuditEventsDocument,
        { events },
        // Idempotent: the records' ids make a repeated call store nothing twice.
        { idempotent: true, timeoutMs: this.options.settings.deadlineMs },
      );
    } catch (error) {
      this.options.logger.error('could not record an audit event; it is kept to be sent again', {
        requestId: entry.requestId,
        pending: events.length,
        message: (error as Error).message,
      });
      this.pending = [...events, ...this.pending].slice(-MAX_PENDING);
      if (events.length > MAX_PENDING)
        this.options.logger.error('audit events dropped: pop-health was unreachable for too long', {
          dropped: events.length - MAX_PENDING,
        });
    }
  }
}
