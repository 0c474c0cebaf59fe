/** Partners (list, create one) and roster upload with its ingestion result. */
import { AdminPartnersDocument, CreatePartnerDocument } from '@care-graph/operations';
import { type FormEvent, useRef, useState } from 'react';
import { describeError, type UploadedRoster, uploadRoster } from '../api';
import { ErrorAlert, ErrorText, Pager, PartnerOptions, ProgressBar, StatusBadge, TableRegion } from '../components';
import { formatCount, formatInstant } from '../format';
import { type PartnerOption, usePagedQuery, usePartnerOptions } from '../hooks';
import { Link } from '../router';
import { useApi, useSession } from '../session';

const PAGE_SIZE = 20;

export function PartnersPage() {
  const options = usePartnerOptions();
  return (
    <>
      <h1>Partners and rosters</h1>
      <div className="columns">
        <PartnerList onCreated={options.reload} />
        <RosterUpload partners={options.partners} />
      </div>
    </>
  );
}

function PartnerList({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const [version, setVersion] = useState(0);
  const { data, error, pager } = usePagedQuery(String(version), (after) =>
    api.query(AdminPartnersDocument, { first: PAGE_SIZE, after }).then((result) => result.partners),
  );

  return (
    <section aria-labelledby="partners-heading" className="card">
      <h2 id="partners-heading">Partners</h2>
      <ErrorAlert message={error} />
      {data && (
        <>
          <TableRegion label="Partners">
            <table>
              <caption className="visually-hidden">Partners, oldest change first</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Id</th>
                  <th scope="col">Last updated</th>
                </tr>
              </thead>
              <tbody>
                {data.edges.length === 0 && (
                  <tr>
                    <td colSpan={3}>No partners yet: create the first one below.</td>
                  </tr>
                )}
                {data.edges.map(({ node }) => (
                  <tr key={node.id}>
                    <td>{node.name}</td>
                    <td>
                      <code>{node.id}</code>
                    </td>
                    <td>{formatInstant(node.meta.lastUpdated)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
          <Pager label="Partner pages" pager={pager} />
        </>
      )}
      <CreatePartner
        onCreated={() => {
          setVersion((v) => v + 1);
          onCreated();
        }}
      />
    </section>
  );
}

function CreatePartner({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const result = await api.query(CreatePartnerDocument, { input: { name: name.trim() } });
      setCreated(`Created ${result.createPartner.name} (${result.createPartner.id}).`);
      setName('');
      onCreated();
    } catch (e) {
      setError(describeError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="inline-form" aria-labelledby="create-partner-heading">
      <h3 id="create-partner-heading">Create a partner</h3>
      <label htmlFor="partner-name">Partner name</label>
      <input
        id="partner-name"
        value={name}
        required
        maxLength={200}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'partner-name-error' : undefined}
        onChange={(event) => setName(event.target.value)}
      />
      {error && <ErrorText id="partner-name-error">{error}</ErrorText>}
      <button type="submit" disabled={busy}>
        Create partner
      </button>
      <p role="status" className="success">
        {created}
      </p>
    </form>
  );
}

function RosterUpload({ partners }: { partners: PartnerOption[] | null }) {
  const { session } = useSession();
  const [chosenPartnerId, setPartnerId] = useState('');
  // Until someone chooses, the first partner is the choice (derived: an effect would undo a choice made before it ran).
  const partnerId = chosenPartnerId || partners?.[0]?.id || '';
  const [kind, setKind] = useState('BACKFILL');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [result, setResult] = useState<UploadedRoster | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError('Choose a roster file (CSV) first.');
      return;
    }
    setBusy(true);
    setError(null);
    setResult(null);
    setProgress({ sent: 0, total: file.size });
    try {
      const upload = uploadRoster(session!.api.token, { partnerId, kind, file }, (sent, total) => setProgress({ sent, total }));
      setResult(await upload.done);
    } catch (e) {
      setError(describeError(e).message);
    } finally {
      setBusy(false);
    }
  };
  const percent = progress ? (progress.total ? (progress.sent / progress.total) * 100 : 100) : 0;

  return (
    <section aria-labelledby="upload-heading" className="card">
      <h2 id="upload-heading">Upload a roster</h2>
      <form onSubmit={submit}>
        <label htmlFor="upload-partner">Partner</label>
        <select id="upload-partner" value={partnerId} required onChange={(event) => setPartnerId(event.target.value)}>
          <PartnerOptions partners={partners} />
        </select>
        <label htmlFor="upload-kind">Kind</label>
        <select id="upload-kind" value={kind} aria-describedby="kind-help" onChange={(event) => setKind(event.target.value)}>
          <option value="BACKFILL">BACKFILL</option>
          <option value="CURRENT">CURRENT</option>
        </select>
        <p id="kind-help" className="help">
          BACKFILL: a roster sent after the dates it applies to, for a backfill. CURRENT: the partner's live roster.
        </p>
        <label htmlFor="upload-file">Roster file</label>
        <input
          id="upload-file"
          ref={fileInput}
          type="file"
          accept=".csv,text/csv"
          aria-describedby={error ? 'upload-error file-help' : 'file-help'}
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
        <p id="file-help" className="help">
          CSV with the header <code>member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip</code>.
        </p>
        {error && <ErrorText id="upload-error">{error}</ErrorText>}
        <button type="submit" disabled={busy || !partners?.length}>
          Upload roster
        </button>
      </form>
      {progress && (
        <div className="upload-progress">
          <ProgressBar label="Upload progress" percent={percent} />
          <p>
            {busy && progress.sent >= progress.total
              ? 'Sent; the roster is being ingested…'
              : `${formatCount(progress.sent)} of ${formatCount(progress.total)} bytes sent`}
          </p>
        </div>
      )}
      {result && <IngestionResult roster={result} />}
    </section>
  );
}

const REJECTION_PAGE = 10;

function IngestionResult({ roster }: { roster: UploadedRoster }) {
  const [page, setPage] = useState(1);
  const rows = roster.rejectedRows ?? [];
  const pages = Math.max(1, Math.ceil(rows.length / REJECTION_PAGE));
  const shown = rows.slice((page - 1) * REJECTION_PAGE, page * REJECTION_PAGE);
  return (
    <section aria-labelledby="ingestion-heading" className="result" role="status">
      <h3 id="ingestion-heading">
        {roster.fileName} <StatusBadge status={roster.status} />
      </h3>
      <dl className="counts">
        <div>
          <dt>Rows</dt>
          <dd>{formatCount(roster.rowCount)}</dd>
        </div>
        <div>
          <dt>Accepted</dt>
          <dd>{formatCount(roster.acceptedCount)}</dd>
        </div>
        <div>
          <dt>Rejected</dt>
          <dd>{formatCount(roster.rejectedCount)}</dd>
        </div>
      </dl>
      <p>
        Roster id <code>{roster.id}</code>.{' '}
        {roster.kind === 'BACKFILL' && roster.status === 'READY' && (
          <Link to={`/backfills/new?partnerId=${encodeURIComponent(roster.partnerId)}&rosterId=${encodeURIComponent(roster.id)}`}>
            Start a backfill with this roster
          </Link>
        )}
      </p>
      {rows.length > 0 && (
        <>
          <TableRegion label="Rejected rows">
            <table>
              <caption>
                Rejected rows
                {roster.rejectedCount > rows.length && ` (the first ${rows.length} of ${formatCount(roster.rejectedCount)} are kept)`}
              </caption>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Line
                  </th>
                  <th scope="col">Member id</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((row) => (
                  <tr key={row.line}>
                    <td className="num">{row.line}</td>
                    <td>{row.memberId ?? '—'}</td>
                    <td>{row.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
          <Pager
            label="Rejected row pages"
            pager={{
              page,
              hasPrevious: page > 1,
              hasNext: page < pages,
              onPrevious: () => setPage((p) => p - 1),
              onNext: () => setPage((p) => p + 1),
            }}
          />
        </>
      )}
    </section>
  );
}
