/** Backfills with status, partner, requester, window, duration and counts; filtered by partner and status, paged. */
import { AdminBackfillsDocument, type BackfillStatus } from '@care-graph/operations';
import { useState } from 'react';
import { ErrorAlert, Pager, PartnerOptions, StatusBadge, TableRegion } from '../components';
import { formatCount, formatDuration, formatInstant } from '../format';
import { usePagedQuery, usePartnerOptions } from '../hooks';
import { Link } from '../router';
import { useApi } from '../session';

const STATUSES: BackfillStatus[] = ['PENDING', 'INGESTING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
const PAGE_SIZE = 20;

export function HistoryPage() {
  const api = useApi();
  const { partners } = usePartnerOptions();
  const [partnerId, setPartnerId] = useState('');
  const [status, setStatus] = useState('');
  const { data, error, pager } = usePagedQuery(`${partnerId}|${status}`, (after) =>
    api
      .query(AdminBackfillsDocument, {
        partnerId: partnerId || undefined,
        status: status ? [status as BackfillStatus] : undefined,
        first: PAGE_SIZE,
        after,
      })
      .then((result) => result.backfills),
  );

  return (
    <section aria-labelledby="history-heading">
      <h1 id="history-heading">History</h1>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <div>
          <label htmlFor="history-partner">Partner</label>
          <select id="history-partner" value={partnerId} onChange={(event) => setPartnerId(event.target.value)}>
            <option value="">All partners</option>
            <PartnerOptions partners={partners} />
          </select>
        </div>
        <div>
          <label htmlFor="history-status">Status</label>
          <select id="history-status" value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorAlert message={error} />
      {data && (
        <>
          <TableRegion label="Backfill history">
            <table>
              <caption className="visually-hidden">Backfills, oldest change first</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Partner</th>
                  <th scope="col">Requested by</th>
                  <th scope="col">Window</th>
                  <th scope="col">Requested</th>
                  <th scope="col">Duration</th>
                  <th scope="col" className="num">
                    Processed
                  </th>
                  <th scope="col" className="num">
                    Matched
                  </th>
                  <th scope="col" className="num">
                    Created
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Open</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.edges.length === 0 && (
                  <tr>
                    <td colSpan={10}>No backfills match these filters.</td>
                  </tr>
                )}
                {data.edges.map(({ node }) => (
                  <tr key={node.id}>
                    <td>
                      <StatusBadge status={node.status} />
                      {node.dryRun && <span className="tag">dry run</span>}
                    </td>
                    <td>{node.partner.name}</td>
                    <td>{node.requestedBy ?? '—'}</td>
                    <td className="nowrap">
                      {node.startDate} – {node.endDate}
                    </td>
                    <td className="nowrap">{formatInstant(node.requestedAt)}</td>
                    <td className="nowrap">{formatDuration(node.startedAt, node.finishedAt)}</td>
                    <td className="num">
                      {formatCount(node.processed)} / {formatCount(node.total)}
                    </td>
                    <td className="num">{formatCount(node.matched)}</td>
                    <td className="num">{formatCount(node.created)}</td>
                    <td>
                      <Link
                        to={`/backfills/${encodeURIComponent(node.id)}`}
                        aria-label={`Open the backfill of ${node.partner.name}, ${node.startDate} to ${node.endDate}`}
                      >
                        Open
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
          <Pager label="History pages" pager={pager} />
        </>
      )}
    </section>
  );
}
