/**
 * The email about a finished backfill: to its requester (the token's `email` claim) and to
 * BACKFILL_NOTIFY_EMAILS. Over SMTP when SMTP_URL is set; otherwise (embedded mode) each message is written
 * to `<dataDir>/outbox/<backfillId>.eml`. The message carries no PHI: partner, roster file name, window,
 * counts, duration and outcome. Its Message-ID comes from the backfill id, so a repeated send (a retry after
 * a crash between sending and recording it) is recognisably the same message, and the outbox keeps one file.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatCalendarDate } from '@care-graph/service-kit';
import nodemailer from 'nodemailer';
import type { RunCounts } from './transitions';

/** What the email says about one backfill. */
export interface BackfillNotice {
  backfillId: string;
  partnerName: string;
  rosterFileName: string;
  startDate: Date;
  endDate: Date;
  status: 'COMPLETED' | 'FAILED' | 'CANCELLED';
  error: string | null;
  dryRun: boolean;
  counts: RunCounts;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date;
  cancelledBy: string | null;
}

/** Sends the email about a finished backfill to `to` (at least one address). */
export type SendNotice = (notice: BackfillNotice, to: string[]) => Promise<void>;

export const DEFAULT_MAIL_FROM = 'Care Graph <care-graph@localhost>';
/** The shape of an address worth sending to: one @, no spaces or commas (the mail server has the last word). */
const ADDRESS = /^[^\s@,<>]+@[^\s@,<>]+\.[^\s@,<>]+$|^[^\s@,<>]+@localhost$/;

/**
 * BACKFILL_NOTIFY_EMAILS as addresses (comma-separated; blanks ignored). Throws, naming them, when an entry
 * is not an address: the service refuses to start rather than drop someone's email later.
 */
export function notifyList(env: NodeJS.ProcessEnv): string[] {
  const entries = (env.BACKFILL_NOTIFY_EMAILS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const malformed = entries.filter((entry) => !ADDRESS.test(entry));
  if (malformed.length) {
    throw new Error(`BACKFILL_NOTIFY_EMAILS holds entries that are not email addresses: ${malformed.map((e) => `"${e}"`).join(', ')}.`);
  }
  return entries;
}

/** The recipients of a backfill's email: its requester (when the token had an address) and the list, once each. */
export function recipients(requestedByEmail: string | null, list: readonly string[]): string[] {
  const all = [...(requestedByEmail && ADDRESS.test(requestedByEmail) ? [requestedByEmail] : []), ...list];
  const seen = new Set<string>();
  return all.filter((address) => !seen.has(address.toLowerCase()) && seen.add(address.toLowerCase()));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
  return h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
}

/** The subject and text of the email about `notice`; `gatewayUrl` is where an admin opens the graph. */
export function composeNotice(notice: BackfillNotice, gatewayUrl: string): { subject: string; text: string } {
  const window = `${formatCalendarDate(notice.startDate)} to ${formatCalendarDate(notice.endDate)}`;
  const outcome = { COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'was cancelled' }[notice.status];
  const { processed, total, matched, created, alreadyAssociated } = notice.counts;
  const base = gatewayUrl.replace(/\/+$/, '');
  const lines = [
    `The backfill for ${notice.partnerName} ${outcome}${notice.dryRun ? ' (dry run: no association was written)' : ''}.`,
    '',
    `Partner:            ${notice.partnerName}`,
    `Roster file:        ${notice.rosterFileName}`,
    `Window:             ${window} (care requests created from ${formatCalendarDate(notice.startDate)} 00:00 UTC, up to the end of ${formatCalendarDate(notice.endDate)} UTC)`,
    `Outcome:            ${notice.status}${notice.cancelledBy ? ` (cancelled by ${notice.cancelledBy})` : ''}`,
    ...(notice.error ? [`Error:              ${notice.error}`] : []),
    `Processed:          ${processed.toLocaleString('en-US')} of ${plural(total, 'care request')}`,
    `Matched:            ${matched.toLocaleString('en-US')}`,
    `Created:            ${plural(created, 'association')}${notice.dryRun ? ' (would have been)' : ''}`,
    `Already associated: ${alreadyAssociated.toLocaleString('en-US')} (kept as they were)`,
    `Duration:           ${duration(notice.finishedAt.getTime() - (notice.startedAt ?? notice.requestedAt).getTime())} (requested ${notice.requestedAt.toISOString()}, finished ${notice.finishedAt.toISOString()})`,
    '',
    'To open it:',
    `- the admin page: ${base}/admin`,
    `- or GraphQL at ${base}/graphql (admin token): query { backfill(id: "${notice.backfillId}") { status processed total created error associations(first: 50) { edges { node { id } } } } }`,
    '',
    `Backfill id: ${notice.backfillId}`,
  ];
  return {
    subject: `Backfill ${notice.status.toLowerCase()}: ${notice.partnerName}, ${notice.rosterFileName}, ${window}`,
    text: `${lines.join('\n')}\n`,
  };
}

/** The Message-ID of a backfill's email: the same on every attempt. */
export const messageIdOf = (backfillId: string) => `<backfill-${backfillId}@care-graph>`;

export interface NoticeSettings {
  /** SMTP server (`smtp://user:pass@host:port`, `smtps://…`); without it messages go to the outbox. */
  smtpUrl?: string;
  outboxDir: string;
  from: string;
  gatewayUrl: string;
}

/**
 * The sender of backfill emails: nodemailer over SMTP (`smtpUrl`), or, without one, nodemailer's stream
 * transport writing each message to `<outboxDir>/<backfillId>.eml` through a temporary file renamed into
 * place, so that a repeated send leaves one whole file.
 */
export function noticeSender(settings: NoticeSettings): SendNotice {
  const transport = settings.smtpUrl
    ? nodemailer.createTransport(settings.smtpUrl)
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return async (notice, to) => {
    const { subject, text } = composeNotice(notice, settings.gatewayUrl);
    const message = { from: settings.from, to, subject, text, messageId: messageIdOf(notice.backfillId), date: notice.finishedAt };
    const info = await transport.sendMail(message);
    if (settings.smtpUrl) return;
    await mkdir(settings.outboxDir, { recursive: true });
    const file = path.join(settings.outboxDir, `${notice.backfillId}.eml`);
    const temporary = `${file}.${randomUUID()}.tmp`;
    await writeFile(temporary, (info as unknown as { message: Buffer }).message);
    await rename(temporary, file);
  };
}
