/**
 * Paging through Query results: `nextCursor` is the query's LastEvaluatedKey, base64url JSON,
 * bound to the query it came from: the key attributes of its table or index, its partition,
 * and its sort keys' prefix. A cursor of another plan, or of another list of the same plan
 * (the runs list, another run's orders, the parked orders), is refused before DynamoDB sees
 * it: DynamoDB would refuse it as a starting key, a 500 that reads like an outage.
 */
import { InvalidPageCursorError } from './errors.ts';
import { PARTITION_KEY, SORT_KEY, type IndexDefinition } from './table.ts';

export interface Page<T> {
  readonly items: T[];
  /** Pass back to get the next page; absent on the last page */
  readonly nextCursor?: string;
}

export interface PageRequest {
  /** Items per page, 1..100 (default 25) */
  readonly limit?: number;
  readonly cursor?: string;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  return Math.min(Math.max(1, Math.floor(limit)), MAX_PAGE_SIZE);
}

export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  if (!key) return undefined;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The query a cursor must come from. */
export interface CursorScope {
  /** The index the query reads; the table itself when absent */
  readonly index?: Pick<IndexDefinition, 'partitionKey' | 'sortKey'>;
  /** The query's partition key value (of the index when there is one) */
  readonly partition: string;
  /** What the query's sort keys begin with ('' for the whole partition) */
  readonly sortPrefix: string;
}

/**
 * Decodes a cursor of the query `scope` describes: exactly the key attributes its
 * LastEvaluatedKey has (the table's, plus the index's for an index), its partition, a sort key
 * under its prefix. Anything else is InvalidPageCursorError.
 */
export function decodeCursor(cursor: string | undefined, scope: CursorScope): Record<string, string> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageCursorError();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidPageCursorError();
  const key = parsed as Record<string, unknown>;
  const expected = [PARTITION_KEY, SORT_KEY, ...(scope.index ? [scope.index.partitionKey, scope.index.sortKey] : [])];
  const names = Object.keys(key);
  if (names.length !== expected.length || !expected.every((name) => typeof key[name] === 'string')) throw new InvalidPageCursorError();
  if (key[scope.index?.partitionKey ?? PARTITION_KEY] !== scope.partition) throw new InvalidPageCursorError();
  if (!(key[scope.index?.sortKey ?? SORT_KEY] as string).startsWith(scope.sortPrefix)) throw new InvalidPageCursorError();
  return key as Record<string, string>;
}
