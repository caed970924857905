/**
 * Paging through Query results: `nextCursor` is the query's LastEvaluatedKey, base64url JSON,
 * bound to the partition it came from (a cursor of another plan is refused).
 */
import { InvalidPageCursorError } from './errors.ts';

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

/** Decodes a cursor whose `partitionAttribute` must equal `partitionValue`. */
export function decodeCursor(cursor: string | undefined, partitionAttribute: string, partitionValue: string): Record<string, string> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageCursorError();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidPageCursorError();
  const entries = Object.entries(parsed);
  if (entries.length === 0 || entries.length > 4 || entries.some(([, v]) => typeof v !== 'string')) throw new InvalidPageCursorError();
  const key = parsed as Record<string, string>;
  if (key[partitionAttribute] !== partitionValue) throw new InvalidPageCursorError();
  return key;
}
