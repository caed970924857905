/**
 * The one zod import for code that ships in a Lambda bundle:
 *
 *     import * as z from '#platform/zod';
 *
 * It is `zod/mini` (≈15 KiB bundled, where classic `zod` drags ≈440 KiB of locales in) with
 * English messages configured once, so errors read "Too small: expected string to have >=1
 * characters" rather than "Invalid input". Import it as a namespace: re-exporting a namespace
 * *object* (`export { z }`) defeats tree-shaking and brings every locale back.
 * Local-only code (sandboxes, scripts) may use classic `zod`.
 */
import { config, type core } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';

/** One line per issue, each prefixed with its field path: "plan.schedule.start: Invalid time". */
export function describeZodError(error: core.$ZodError, root?: string): string[] {
  return error.issues.map((issue) => {
    const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}
