/**
 * Where the real 1C recordings are. They live beside the checkout (../shared/reference/…),
 * not in the repository; a clone elsewhere can point ONEC_RECORDINGS_DIR at them.
 * Tests that need them call `recordingsDir()` and skip, saying why, when they are absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const candidates = [
  process.env.ONEC_RECORDINGS_DIR,
  join(repoRoot, '../shared/reference/onec-recordings'),
  '/work/shared/reference/onec-recordings',
].filter((p): p is string => Boolean(p));

export function recordingsDir(): string | undefined {
  return candidates.find((dir) => existsSync(join(dir, 'manifest.json')));
}

export const RECORDINGS_MISSING = `1C recordings not found (looked in ${candidates.join(', ')}); set ONEC_RECORDINGS_DIR`;

export function readRecording(name: string): string {
  const dir = recordingsDir();
  if (!dir) throw new Error(RECORDINGS_MISSING);
  return readFileSync(join(dir, name), 'utf8');
}
