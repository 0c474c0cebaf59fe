/** Data hooks the pages share. */
import { AdminPartnersDocument } from '@care-graph/operations';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from './api';
import { useApi } from './session';

export interface PartnerOption {
  id: string;
  name: string;
}

/** Every partner, for a "Partner" select (one page of the API's largest size, 1,000). */
export function usePartnerOptions(): { partners: PartnerOption[] | null; error: string | null; reload: () => void } {
  const api = useApi();
  const [partners, setPartners] = useState<PartnerOption[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    api.query(AdminPartnersDocument, { first: 1000 }).then(
      (data) => setPartners(data.partners.edges.map((edge) => edge.node).sort((a, b) => a.name.localeCompare(b.name))),
      (e) => setError(describeError(e).message),
    );
  }, [api]);
  useEffect(reload, [reload]);
  return { partners, error, reload };
}

interface PageShape {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * One page of a connection at a time, with "Previous page" from a stack of cursors (connections page forward
 * only). A new `listKey` (another filter) starts again at page 1: a cursor is valid only for the list it came from.
 * Answers to superseded requests are dropped, so a fast change of filter never shows the older list.
 */
export function usePagedQuery<Page extends PageShape>(
  listKey: string,
  fetchPage: (after: string | undefined) => Promise<Page | null>,
): { data: Page | null; error: string | null; pager: PagerState | null } {
  const [cursors, setCursors] = useState<{ listKey: string; stack: (string | undefined)[] }>({ listKey, stack: [undefined] });
  const stack = cursors.listKey === listKey ? cursors.stack : [undefined];
  const after = stack[stack.length - 1];
  const [data, setData] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fetchLatest = useRef(fetchPage);
  fetchLatest.current = fetchPage;

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new listKey is a new list to fetch, even at the same cursor
  useEffect(() => {
    let current = true;
    setError(null);
    fetchLatest.current(after).then(
      (page) => current && setData(page),
      (e) => current && setError(describeError(e).message),
    );
    return () => {
      current = false;
    };
  }, [listKey, after]);

  const pager = data && {
    page: stack.length,
    hasPrevious: stack.length > 1,
    hasNext: data.pageInfo.hasNextPage,
    onPrevious: () => setCursors({ listKey, stack: stack.slice(0, -1) }),
    onNext: () => data.pageInfo.endCursor && setCursors({ listKey, stack: [...stack, data.pageInfo.endCursor] }),
  };
  return { data, error, pager };
}

export interface PagerState {
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}
