/**
 * Run ids: ULIDs (Crockford base32: 48-bit milliseconds + 80 random bits, 26 characters), so a
 * plan's runs sort by start time as strings and the newest come first in a descending Query.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newRunId(now: Date = new Date()): string {
  let time = now.getTime();
  let timePart = '';
  for (let i = 0; i < 10; i += 1) {
    timePart = ALPHABET[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(16);
  let randomPart = '';
  for (let i = 0; i < 16; i += 1) randomPart += ALPHABET[(bytes[i] ?? 0) % 32];
  return timePart + randomPart;
}

export const RUN_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isRunId(value: string): boolean {
  return RUN_ID_PATTERN.test(value);
}
