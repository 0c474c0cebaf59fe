/**
 * Start a backfill: partner, its BACKFILL roster, the window and, under "Advanced", batch size, accepted grades
 * and dry run. The API validates; its message appears beside the field it names (`extensions.field`).
 */
import { AdminStartBackfillDocument, RostersDocument, type RostersQuery } from '@care-graph/operations';
import { type FormEvent, useEffect, useState } from 'react';
import { describeError } from '../api';
import { ErrorAlert, ErrorText, PartnerOptions } from '../components';
import { formatCount, todayUtc } from '../format';
import { usePartnerOptions } from '../hooks';
import { navigate, useLocation } from '../router';
import { useApi } from '../session';

type Roster = RostersQuery['rosters']['edges'][number]['node'];
const GRADES = ['CERTAIN', 'PROBABLE', 'POSSIBLE'] as const;
type Grade = (typeof GRADES)[number];

export function StartBackfillPage() {
  const api = useApi();
  const { query } = useLocation();
  const { partners, error: partnersError } = usePartnerOptions();
  const [chosenPartnerId, setPartnerId] = useState(query.get('partnerId') ?? '');
  // Until someone chooses, the first partner is the choice. Derived, not set by an effect: an effect runs after
  // the options are painted, and would undo a choice made in between.
  const partnerId = chosenPartnerId || partners?.[0]?.id || '';
  const [rosters, setRosters] = useState<Roster[] | null>(null);
  const [rosterId, setRosterId] = useState(query.get('rosterId') ?? '');
  const [startDate, setStartDate] = useState('');
  const [endDate, setEndDate] = useState('');
  const [batchSize, setBatchSize] = useState('');
  const [grades, setGrades] = useState<Grade[]>(['CERTAIN', 'PROBABLE']);
  const [dryRun, setDryRun] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!partnerId) return;
    // The answer for a partner no longer selected is dropped: a slow answer for the partner chosen first must
    // not replace the list of the one chosen after it.
    let current = true;
    setRosters(null);
    api.query(RostersDocument, { partnerId, kind: 'BACKFILL', first: 1000 }).then(
      (data) => {
        if (!current) return;
        // Newest first: the roster just uploaded is the likely one.
        const list = data.rosters.edges.map((edge) => edge.node).reverse();
        setRosters(list);
        setRosterId((selected) => (list.some((r) => r.id === selected) ? selected : (list.find((r) => r.status !== 'FAILED')?.id ?? '')));
      },
      (e) => current && setErrors({ rosterId: describeError(e).message }),
    );
    return () => {
      current = false;
    };
  }, [api, partnerId]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const missing: Record<string, string> = {};
    if (!partnerId) missing.partnerId = 'Choose a partner.';
    if (!rosterId) missing.rosterId = 'Choose a BACKFILL roster of this partner (upload one first).';
    if (!startDate) missing.startDate = 'Enter the first day of the window.';
    if (!endDate) missing.endDate = 'Enter the last day of the window.';
    setErrors(missing);
    if (Object.keys(missing).length) return;
    setBusy(true);
    try {
      const size = batchSize.trim() === '' ? undefined : Number(batchSize);
      const result = await api.query(AdminStartBackfillDocument, {
        input: { partnerId, rosterId, startDate, endDate, batchSize: size, acceptGrades: grades, dryRun },
      });
      navigate(`/backfills/${encodeURIComponent(result.startBackfill.id)}`);
    } catch (e) {
      const { message, field } = describeError(e);
      setErrors({ [field && FIELDS.has(field) ? field : 'form']: message });
      setBusy(false);
    }
  };

  const fieldProps = (name: string) => ({
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': [errors[name] ? `${name}-error` : '', HELP[name] ? `${name}-help` : ''].filter(Boolean).join(' ') || undefined,
  });
  const fieldError = (name: string) => errors[name] && <ErrorText id={`${name}-error`}>{errors[name]}</ErrorText>;

  return (
    <section aria-labelledby="start-heading" className="card narrow">
      <h1 id="start-heading">Start a backfill</h1>
      <p>Every care request created in the window is matched against the roster; each match becomes a partner association.</p>
      {(errors.form || partnersError) && <ErrorAlert message={errors.form ?? partnersError} />}
      <form onSubmit={submit} noValidate>
        <label htmlFor="bf-partner">Partner</label>
        <select id="bf-partner" value={partnerId} onChange={(event) => setPartnerId(event.target.value)} {...fieldProps('partnerId')}>
          <PartnerOptions partners={partners} />
        </select>
        {fieldError('partnerId')}

        <label htmlFor="bf-roster">Roster</label>
        <select id="bf-roster" value={rosterId} onChange={(event) => setRosterId(event.target.value)} {...fieldProps('rosterId')}>
          {rosters === null && <option value="">Loading rosters…</option>}
          {rosters?.length === 0 && <option value="">This partner has no BACKFILL roster: upload one first</option>}
          {rosters?.map((roster) => (
            <option key={roster.id} value={roster.id}>
              {roster.fileName} · {roster.status} · {formatCount(roster.acceptedCount)} members · {roster.createdAt.slice(0, 10)}
            </option>
          ))}
        </select>
        <p id="rosterId-help" className="help">
          The partner's BACKFILL rosters, newest first.
        </p>
        {fieldError('rosterId')}

        <div className="two">
          <div>
            <label htmlFor="bf-start">Start date</label>
            <input
              id="bf-start"
              type="date"
              value={startDate}
              max={todayUtc()}
              onChange={(e) => setStartDate(e.target.value)}
              {...fieldProps('startDate')}
            />
            <p id="startDate-help" className="help">
              From 00:00 UTC.
            </p>
            {fieldError('startDate')}
          </div>
          <div>
            <label htmlFor="bf-end">End date</label>
            <input
              id="bf-end"
              type="date"
              value={endDate}
              max={todayUtc()}
              onChange={(e) => setEndDate(e.target.value)}
              {...fieldProps('endDate')}
            />
            <p id="endDate-help" className="help">
              Inclusive, not after today (UTC).
            </p>
            {fieldError('endDate')}
          </div>
        </div>

        <details open={Boolean(errors.batchSize || errors.acceptGrades || errors.dryRun)}>
          <summary>Advanced</summary>
          <label htmlFor="bf-batch">Batch size</label>
          <input
            id="bf-batch"
            type="number"
            inputMode="numeric"
            min={1}
            max={5000}
            placeholder="2000"
            value={batchSize}
            onChange={(e) => setBatchSize(e.target.value)}
            {...fieldProps('batchSize')}
          />
          <p id="batchSize-help" className="help">
            Care requests per page, 1–5,000 (default 2,000).
          </p>
          {fieldError('batchSize')}
          <fieldset {...fieldProps('acceptGrades')}>
            <legend>Accepted grades</legend>
            {GRADES.map((grade) => (
              <label key={grade} className="check">
                <input
                  type="checkbox"
                  checked={grades.includes(grade)}
                  onChange={(e) => setGrades((g) => (e.target.checked ? [...g, grade] : g.filter((x) => x !== grade)))}
                />
                {grade}
              </label>
            ))}
          </fieldset>
          <p id="acceptGrades-help" className="help">
            The match grades that make an association (default CERTAIN and PROBABLE).
          </p>
          {fieldError('acceptGrades')}
          <label className="check">
            <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
            Dry run (count and sample the matches, write no association)
          </label>
        </details>

        <button type="submit" disabled={busy}>
          Start backfill
        </button>
      </form>
    </section>
  );
}

const FIELDS = new Set(['partnerId', 'rosterId', 'startDate', 'endDate', 'batchSize', 'acceptGrades', 'dryRun']);
const HELP: Record<string, boolean> = { rosterId: true, startDate: true, endDate: true, batchSize: true, acceptGrades: true };
