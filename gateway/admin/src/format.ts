/** How the dashboard writes numbers, times and durations: the same everywhere, in the user's locale, UTC for dates. */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export const formatCount = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : integer.format(value);

export const formatRate = (perSecond: number | null | undefined): string =>
  perSecond === null || perSecond === undefined ? '—' : `${decimal.format(perSecond)} / s`;

/** `1 h 02 min`, `3 min 05 s`, `42 s`. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function formatDuration(from: string | null | undefined, until: string | null | undefined): string {
  if (!from) return '—';
  const end = until ? Date.parse(until) : Date.now();
  return formatSeconds((end - Date.parse(from)) / 1000);
}

/** An instant as `2026-02-06 01:18 UTC`. */
export function formatInstant(value: string | null | undefined): string {
  if (!value) return '—';
  return `${value.slice(0, 10)} ${value.slice(11, 16)} UTC`;
}

export const formatWeight = (weight: number): string => `${weight > 0 ? '+' : ''}${decimal.format(weight)}`;

/** Today as `YYYY-MM-DD` in UTC (the API's calendar). */
export const todayUtc = (): string => new Date().toISOString().slice(0, 10);
