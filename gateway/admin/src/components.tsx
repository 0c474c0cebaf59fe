/** The pieces the pages share: status badge, progress bar, pager, scrollable table region, match explanation. */
import type { ReactNode } from 'react';
import { formatWeight } from './format';
import type { PagerState } from './hooks';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}

/** `percent` 0–100 (null: not known yet, shown as an indeterminate bar at 0). */
export function ProgressBar({ label, percent, text }: { label: string; percent: number | null; text?: string }) {
  const now = percent === null ? 0 : Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={now}
      aria-valuetext={text ?? `${now}%`}
    >
      <div className="progress-fill" style={{ width: `${now}%` }} />
    </div>
  );
}

/** A wide table scrolls sideways on a narrow screen; the region is focusable so a keyboard can scroll it. */
export function TableRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
    <section className="table-scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

/** Previous / next page of a connection (`usePagedQuery`'s pager). */
export function Pager({ label, pager }: { label: string; pager: PagerState | null }) {
  if (!pager) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="secondary" disabled={!pager.hasPrevious} onClick={pager.onPrevious}>
        Previous page
      </button>
      <span>Page {pager.page}</span>
      <button type="button" className="secondary" disabled={!pager.hasNext} onClick={pager.onNext}>
        Next page
      </button>
    </nav>
  );
}

/** The `<option>`s of a "Partner" select. */
export function PartnerOptions({ partners }: { partners: { id: string; name: string }[] | null }) {
  return (
    <>
      {partners?.length === 0 && <option value="">No partners yet</option>}
      {partners?.map((partner) => (
        <option key={partner.id} value={partner.id}>
          {partner.name}
        </option>
      ))}
    </>
  );
}

/** A failure the user should see, announced to screen readers. */
export function ErrorAlert({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

export interface ExplanationShape {
  blockingKeys: string[];
  fields: { field: string; level: string; weight: number }[];
  total: number;
  margin: number | null;
  guards: string[];
  summary: string;
  runnerUp: { rosterPatientId: string; score: number } | null;
}

/** Why a patient matched: each field's agreement level and weight, the total, the runner-up and the guards. */
export function Explanation({ explanation }: { explanation: ExplanationShape }) {
  return (
    <div className="explanation">
      <p>{explanation.summary}</p>
      <table className="compact">
        <caption className="visually-hidden">Field comparisons</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Level</th>
            <th scope="col" className="num">
              Weight
            </th>
          </tr>
        </thead>
        <tbody>
          {explanation.fields.map((field) => (
            <tr key={field.field}>
              <td>{humanize(field.field)}</td>
              <td>{humanize(field.level)}</td>
              <td className={`num ${field.weight < 0 ? 'negative' : ''}`}>{formatWeight(field.weight)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>
              Total
            </th>
            <td className="num">{formatWeight(explanation.total)}</td>
          </tr>
        </tfoot>
      </table>
      <dl className="facts">
        <dt>Found by</dt>
        <dd>{explanation.blockingKeys.join(', ') || '—'}</dd>
        <dt>Runner-up</dt>
        <dd>
          {explanation.runnerUp ? `${explanation.runnerUp.rosterPatientId} (score ${formatWeight(explanation.runnerUp.score)})` : 'none'}
        </dd>
        <dt>Margin</dt>
        <dd>{explanation.margin === null ? '—' : formatWeight(explanation.margin)}</dd>
        <dt>Guards</dt>
        <dd>{explanation.guards.join(', ') || 'none'}</dd>
      </dl>
    </div>
  );
}

/** `dateOfBirth` → `date of birth`, `ONE_DIGIT` → `one digit`. */
function humanize(name: string): string {
  return name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

export function ErrorText({ id, children }: { id: string; children: ReactNode }) {
  return (
    <p className="field-error" id={id}>
      {children}
    </p>
  );
}
