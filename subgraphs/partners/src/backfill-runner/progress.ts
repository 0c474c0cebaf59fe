/** A run's progress as clients read it, derived from the counts the page writer keeps (pure). */

/** What progress is derived from: a run's counts and times. */
export interface RunCounts {
  status: string;
  total: number;
  processed: number;
  firstPageAt: Date | null;
}

export interface DerivedProgress {
  /** processed / total × 100; 100 for an empty window. */
  percent: number;
  /** Care requests per second since the first page; null before it (or within its first millisecond). */
  ratePerSecond: number | null;
  /** Seconds left at that rate; null when unknown or the run is over. */
  etaSeconds: number | null;
}

/** The percent, rate and ETA of `run` at `now`. */
export function deriveProgress(run: RunCounts, now: Date = new Date()): DerivedProgress {
  const percent = run.total === 0 ? 100 : Math.min(100, (run.processed / run.total) * 100);
  const seconds = run.firstPageAt ? (now.getTime() - run.firstPageAt.getTime()) / 1000 : 0;
  const ratePerSecond = run.firstPageAt && seconds > 0 ? run.processed / seconds : null;
  const etaSeconds = run.status === 'RUNNING' && ratePerSecond ? Math.max(0, Math.ceil((run.total - run.processed) / ratePerSecond)) : null;
  return { percent, ratePerSecond, etaSeconds };
}
