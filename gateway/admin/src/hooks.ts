/** Data hooks the pages share. */
import { AdminPartnersDocument } from '@care-graph/operations';
import { useCallback, useEffect, useState } from 'react';
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

/** Cursor paging over a connection: the cursor stack gives "Previous page" without a backward cursor. */
export function useCursorPages(resetKey: string): {
  after: string | undefined;
  page: number;
  next: (endCursor: string | null) => void;
  previous: () => void;
} {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  // A new filter starts again at page 1.
  // biome-ignore lint/correctness/useExhaustiveDependencies: resetKey is the reason to reset
  useEffect(() => setStack([undefined]), [resetKey]);
  return {
    after: stack[stack.length - 1],
    page: stack.length,
    next: (endCursor) => endCursor && setStack((s) => [...s, endCursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}
