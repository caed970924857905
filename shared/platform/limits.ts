/**
 * Bounds on what is stored and how long work may run: texts from 1C and Goodwix (error
 * messages can be a whole HTML page or a megabyte of 1C's words) are cut before they reach a
 * DynamoDB item (400 KB at most) or a log line, and long work is given the time its invocation
 * has left, read from Lambda's context by the handler and passed down.
 */

/** Most bytes of one stored message (an order's error, a sync entry's note): UTF-8, marker included. */
export const MAX_STORED_MESSAGE_BYTES = 2048;

/**
 * The text, or its head cut at a character boundary so that head and marker together take at
 * most `maxBytes` of UTF-8, followed by `… [cut, N bytes]` (N: the whole text's size).
 */
export function cutText(text: string, maxBytes = MAX_STORED_MESSAGE_BYTES): string {
  const size = Buffer.byteLength(text, 'utf8');
  if (size <= maxBytes) return text;
  const marker = `… [cut, ${size} bytes]`;
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker, 'utf8'));
  const bytes = Buffer.from(text, 'utf8');
  let end = room;
  // Back to the start of a character: UTF-8 continuation bytes are 10xxxxxx.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8') + marker;
}

/** The time an invocation has left: Lambda's `context.getRemainingTimeInMillis`, passed down. */
export interface Deadline {
  remainingMs(): number;
}

/** No limit (the local tools, tests that do not look at time). */
export const NO_DEADLINE: Deadline = { remainingMs: () => Number.POSITIVE_INFINITY };

export function deadlineOf(context: { getRemainingTimeInMillis(): number }): Deadline {
  return { remainingMs: () => context.getRemainingTimeInMillis() };
}
