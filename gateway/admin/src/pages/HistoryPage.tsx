/** Backfills with status, partner, requester, window, duration and counts; filtered by partner and status, paged. */
import { AdminBackfillsDocument, type AdminBackfillsQuery, type BackfillStatus } from '@care-graph/operations';
import { useEffect, useState } from 'react';
import { describeError } from '../api';
import { Pager, StatusBadge, TableRegion } from '../components';
import { formatCount, formatDuration, formatInstant } from '../format';
import { useCursorPages, usePartnerOptions } from '../hooks';
import { Link } from '../router';
import { useApi } from '../session';

const STATUSES: BackfillStatus[] = ['PENDING', 'INGESTING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
const PAGE_SIZE = 20;

export function HistoryPage() {
  const api = useApi();
  const { partners } = usePartnerOptions();
  const [partnerId, setPartnerId] = useState('');
  const [status, setStatus] = useState('');
  const pages = useCursorPages(`${partnerId}|${status}`);
  const [data, setData] = useState<AdminBackfillsQuery['backfills'] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setError(null);
    api
      .query(AdminBackfillsDocument, {
        partnerId: partnerId || undefined,
        status: status ? [status as BackfillStatus] : undefined,
        first: PAGE_SIZE,
        after: pages.after,
      })
      .then(
        (result) => setData(result.backfills),
        (e) => setError(describeError(e).message),
      );
  }, [api, partnerId, status, pages.after]);

  return (
    <section aria-labelledby="history-heading">
      <h1 id="history-heading">History</h1>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <div>
          <label htmlFor="history-partner">Partner</label>
          <select id="history-partner" value={partnerId} onChange={(event) => setPartnerId(event.target.value)}>
            <option value="">All partners</option>
            {partners?.map((partner) => (
              <option key={partner.id} value={partner.id}>
                {partner.name}
              </option>
            ))}
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
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
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
          <Pager
            label="History pages"
            page={pages.page}
            hasPrevious={pages.page > 1}
            hasNext={data.pageInfo.hasNextPage}
            onPrevious={pages.previous}
            onNext={() => pages.next(data.pageInfo.endCursor)}
          />
        </>
      )}
    </section>
  );
}
