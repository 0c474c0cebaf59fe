/**
 * One backfill: while it runs, the live view fed by `backfillProgress` over graphql-ws (the first event is the
 * current state, so a reconnect shows it again); once it ends, its summary and its associations.
 */
import {
  AdminBackfillAssociationsDocument,
  type AdminBackfillAssociationsQuery,
  AdminBackfillDocument,
  AdminBackfillProgressDocument,
  type AdminBackfillProgressSubscription,
  type AdminBackfillQuery,
  AdminCancelBackfillDocument,
} from '@care-graph/operations';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../api';
import { ErrorAlert, Explanation, Pager, ProgressBar, StatusBadge, TableRegion } from '../components';
import { formatCount, formatDuration, formatInstant, formatRate, formatSeconds } from '../format';
import { usePagedQuery } from '../hooks';
import { Link } from '../router';
import { useApi } from '../session';

type Backfill = NonNullable<AdminBackfillQuery['backfill']>;
type Progress = AdminBackfillProgressSubscription['backfillProgress'];
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
/** How far back the rate looks: long enough to smooth pages, short enough to follow a change of pace. */
const RATE_WINDOW_MS = 15_000;

export function BackfillPage({ id }: { id: string }) {
  const api = useApi();
  const [backfill, setBackfill] = useState<Backfill | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [runEnded, setRunEnded] = useState(false);
  const onEnded = useCallback(() => setRunEnded(true), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: version asks for a fresh read
  useEffect(() => {
    // A read superseded by a newer one (another backfill opened, or a fresher read asked) is dropped.
    let current = true;
    api.query(AdminBackfillDocument, { id }).then(
      (data) => current && setBackfill(data.backfill),
      (e) => current && setError(describeError(e).message),
    );
    return () => {
      current = false;
    };
  }, [api, id, version]);

  // The run's terminal event comes from partners; pop-health records the outcome a moment later. Read again
  // until it has, then show the summary.
  useEffect(() => {
    if (!runEnded || !backfill || TERMINAL.has(backfill.status)) return;
    const timer = setTimeout(() => setVersion((v) => v + 1), 500);
    return () => clearTimeout(timer);
  }, [runEnded, backfill]);

  if (error) return <ErrorAlert message={error} />;
  if (backfill === undefined) return <p className="loading">Loading backfill…</p>;
  if (backfill === null)
    return (
      <section>
        <h1>Backfill not found</h1>
        <p>
          There is no backfill <code>{id}</code> that this token may see. <Link to="/backfills">See the history</Link>.
        </p>
      </section>
    );
  return (
    <>
      <BackfillHeader backfill={backfill} />
      {TERMINAL.has(backfill.status) ? (
        <>
          <Summary backfill={backfill} />
          <Associations id={backfill.id} dryRun={backfill.dryRun} />
        </>
      ) : (
        <LiveView backfill={backfill} onEnded={onEnded} />
      )}
    </>
  );
}

function BackfillHeader({ backfill }: { backfill: Backfill }) {
  return (
    <header className="page-head">
      <h1>
        Backfill for {backfill.partner.name}
        {backfill.dryRun && <span className="tag">dry run</span>}
      </h1>
      <dl className="facts inline">
        <dt>Window</dt>
        <dd>
          {backfill.startDate} to {backfill.endDate}
        </dd>
        <dt>Roster</dt>
        <dd>{backfill.roster.fileName}</dd>
        <dt>Requested by</dt>
        <dd>
          {backfill.requestedBy ?? '—'} at {formatInstant(backfill.requestedAt)}
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{backfill.id}</code>
        </dd>
      </dl>
    </header>
  );
}

function LiveView({ backfill, onEnded }: { backfill: Backfill; onEnded: () => void }) {
  const api = useApi();
  const [progress, setProgress] = useState<Progress | null>(null);
  const [connection, setConnection] = useState<'connecting' | 'connected' | 'reconnecting'>('connecting');
  const [streamError, setStreamError] = useState<string | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  const samples = useRef<{ at: number; processed: number }[]>([]);

  useEffect(() => api.onConnection(setConnection), [api]);

  useEffect(() => {
    let unsubscribe = () => {};
    let retry: ReturnType<typeof setTimeout> | undefined;
    let ended = false;
    const subscribe = () => {
      unsubscribe = api.subscribe(
        AdminBackfillProgressDocument,
        { backfillId: backfill.id },
        {
          next: (data) => {
            const event = data.backfillProgress;
            setStreamError(null);
            setProgress(event);
            const at = Date.parse(event.at);
            const window = [...samples.current.filter((s) => s.at > at - RATE_WINDOW_MS && s.at < at), { at, processed: event.processed }];
            samples.current = window;
            const first = window[0];
            if (window.length > 1 && at > first.at) setRate(((event.processed - first.processed) / (at - first.at)) * 1000);
            if (TERMINAL.has(event.status)) ended = true;
          },
          error: (e) => {
            // The gateway ends a subscription whose service restarted (SERVICE_UNAVAILABLE): the state is
            // safe to ask for again, so ask.
            setStreamError(describeError(e).message);
            if (describeError(e).code !== 'UNAUTHENTICATED') retry = setTimeout(subscribe, 2_000);
          },
          complete: () => {
            if (ended) onEnded();
            else retry = setTimeout(subscribe, 1_000);
          },
        },
      );
    };
    subscribe();
    return () => {
      clearTimeout(retry);
      unsubscribe();
    };
  }, [api, backfill.id, onEnded]);

  const status = progress?.status ?? backfill.status;
  const percent = progress?.percent ?? null;
  const lastError = progress?.backfill.lastError ?? progress?.backfill.stepError ?? progress?.backfill.error ?? null;
  return (
    <section aria-labelledby="live-heading" className="card live">
      <div className="live-head">
        <h2 id="live-heading">Live progress</h2>
        <span className={`connection connection-${connection}`} role="status">
          {connection === 'connected' ? 'Live' : connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
      </div>
      <p className="status-line">
        Status <StatusBadge status={status} /> <span className="phase">{progress?.phase ?? backfill.phase}</span>
      </p>
      <ProgressBar
        label="Backfill progress"
        percent={percent}
        text={
          percent === null
            ? 'not started'
            : `${Math.round(percent)}%, ${formatCount(progress?.processed)} of ${formatCount(progress?.total)}`
        }
      />
      <dl className="counts">
        <div>
          <dt>Processed</dt>
          <dd>
            {formatCount(progress?.processed ?? backfill.processed)} / {formatCount(progress?.total ?? backfill.total)}
          </dd>
        </div>
        <div>
          <dt>Matched</dt>
          <dd>{formatCount(progress?.matched ?? backfill.matched)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatCount(progress?.created ?? backfill.created)}</dd>
        </div>
        <div>
          <dt>Rate</dt>
          <dd>{formatRate(rate ?? backfill.ratePerSecond)}</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd>{formatSeconds(progress?.etaSeconds ?? backfill.etaSeconds)}</dd>
        </div>
      </dl>
      {lastError && <ErrorAlert message={`Last error: ${lastError}`} />}
      {streamError && <p className="notice">{streamError} Trying again…</p>}
      <CancelBackfill id={backfill.id} disabled={TERMINAL.has(status) || status === 'CANCELLED'} />
    </section>
  );
}

function CancelBackfill({ id, disabled }: { id: string; disabled: boolean }) {
  const api = useApi();
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.query(AdminCancelBackfillDocument, { id });
      dialog.current?.close();
    } catch (e) {
      setError(describeError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="danger" disabled={disabled} onClick={() => dialog.current?.showModal()}>
        Cancel backfill
      </button>
      <dialog ref={dialog} aria-labelledby="cancel-heading" aria-describedby="cancel-text">
        <h2 id="cancel-heading">Cancel this backfill?</h2>
        <p id="cancel-text">It stops at the next page. The associations written so far stay, and are counted.</p>
        <ErrorAlert message={error} />
        <div className="actions">
          <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
            Yes, cancel the backfill
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
            Keep it running
          </button>
        </div>
      </dialog>
    </>
  );
}

function Summary({ backfill }: { backfill: Backfill }) {
  return (
    <section aria-labelledby="summary-heading" className="card">
      <h2 id="summary-heading">Summary</h2>
      <p className="status-line">
        Status <StatusBadge status={backfill.status} /> <span className="phase">{backfill.phase}</span>
      </p>
      <ProgressBar label="Backfill progress" percent={backfill.percent ?? (backfill.status === 'COMPLETED' ? 100 : 0)} />
      <dl className="counts">
        <div>
          <dt>Processed</dt>
          <dd>
            {formatCount(backfill.processed)} / {formatCount(backfill.total)}
          </dd>
        </div>
        <div>
          <dt>Matched</dt>
          <dd>{formatCount(backfill.matched)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatCount(backfill.created)}</dd>
        </div>
        <div>
          <dt>Already associated</dt>
          <dd>{formatCount(backfill.alreadyAssociated)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(backfill.startedAt ?? backfill.requestedAt, backfill.finishedAt)}</dd>
        </div>
      </dl>
      <dl className="facts">
        <dt>Finished</dt>
        <dd>{formatInstant(backfill.finishedAt)}</dd>
        <dt>Batch size</dt>
        <dd>{formatCount(backfill.batchSize)}</dd>
        <dt>Accepted grades</dt>
        <dd>{backfill.acceptGrades.join(', ')}</dd>
        {backfill.cancelledBy && (
          <>
            <dt>Cancelled by</dt>
            <dd>
              {backfill.cancelledBy} at {formatInstant(backfill.cancelledAt)}
            </dd>
          </>
        )}
      </dl>
      <ErrorAlert message={backfill.error} />
    </section>
  );
}

type Association = NonNullable<AdminBackfillAssociationsQuery['backfill']>['associations']['edges'][number]['node'];
const ASSOCIATION_PAGE = 25;

function Associations({ id, dryRun }: { id: string; dryRun: boolean }) {
  const api = useApi();
  const { data, error, pager } = usePagedQuery(id, (after) =>
    api
      .query(AdminBackfillAssociationsDocument, { id, first: ASSOCIATION_PAGE, after })
      .then((result) => result.backfill?.associations ?? null),
  );
  return (
    <section aria-labelledby="associations-heading" className="card">
      <h2 id="associations-heading">Associations</h2>
      {dryRun && <p>A dry run writes no association.</p>}
      <ErrorAlert message={error} />
      {data && (
        <>
          <TableRegion label="Associations">
            <table>
              <caption className="visually-hidden">The associations this backfill created</caption>
              <thead>
                <tr>
                  <th scope="col">Care request</th>
                  <th scope="col">Patient</th>
                  <th scope="col">Roster member</th>
                  <th scope="col">Grade</th>
                  <th scope="col" className="num">
                    Score
                  </th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {data.edges.length === 0 && (
                  <tr>
                    <td colSpan={6}>No associations.</td>
                  </tr>
                )}
                {data.edges.map(({ node }) => (
                  <AssociationRow key={node.id} association={node} />
                ))}
              </tbody>
            </table>
          </TableRegion>
          <Pager label="Association pages" pager={pager} />
        </>
      )}
    </section>
  );
}

function AssociationRow({ association }: { association: Association }) {
  const patient = association.careRequest.patient;
  const member = association.rosterPatient;
  const match = association.match;
  return (
    <tr>
      <td>
        <code>{association.careRequest.id}</code>
        <div className="sub">{formatInstant(association.careRequest.createdAt)}</div>
      </td>
      <td>
        {patient ? `${patient.givenName} ${patient.familyName}` : '—'}
        <div className="sub">{patient?.dateOfBirth}</div>
      </td>
      <td>
        {member ? `${member.givenName} ${member.familyName}` : '—'}
        <div className="sub">{member ? `member ${member.memberId}` : ''}</div>
      </td>
      <td>{match ? <span className={`grade grade-${match.grade.toLowerCase()}`}>{match.grade}</span> : '—'}</td>
      <td className="num">{match ? match.score.toFixed(1) : '—'}</td>
      <td>
        {match?.explanation ? (
          <details>
            <summary>Explanation</summary>
            <Explanation explanation={match.explanation} />
          </details>
        ) : (
          '—'
        )}
      </td>
    </tr>
  );
}
