/**
 * DataLoader helpers. Loaders live in the per-request context: a request batches and caches its own
 * lookups, and nothing is cached across requests (or across users).
 */
import DataLoader from 'dataloader';

/** Loads rows by id in one query, answering in the order asked (null where missing). */
export function byIdLoader<Row extends { id: string }>(load: (ids: string[]) => Promise<Row[]>) {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await load([...ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads the rows of each key in one query (e.g. the associations of each care request). */
export function groupLoader<Row, Key extends string = string>(load: (keys: Key[]) => Promise<Row[]>, keyOf: (row: Row) => Key) {
  return new DataLoader<Key, Row[]>(async (keys) => {
    const rows = await load([...keys]);
    const groups = new Map<Key, Row[]>();
    for (const row of rows) {
      const key = keyOf(row);
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}

export { DataLoader };
