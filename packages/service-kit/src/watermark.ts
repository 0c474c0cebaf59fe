/**
 * The connection watermark (`transactionTime`): every write stamped at or before it is visible, and a
 * page holds nothing newer.
 */

/** Millisecond-precision "now", the precision `lastUpdated` is stored with. */
export function currentWatermark(): Date {
  return new Date(Math.floor(Date.now()));
}

/** Prisma `where` fragment: rows visible at the watermark (legacy rows without `lastUpdated` included). */
export function visibleAt(transactionTime: Date): object {
  return { OR: [{ lastUpdated: null }, { lastUpdated: { lte: transactionTime } }] };
}
