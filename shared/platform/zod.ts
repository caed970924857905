/**
 * The one zod import for code that ships in a Lambda bundle.
 *
 * `zod/mini` keeps a function's bundle ~430 KiB smaller than classic `zod` (which drags every
 * locale in); English messages are configured once here so errors still read
 * "Too small: expected string to have >=1 characters" rather than "Invalid input".
 * Local-only code (sandboxes, scripts) may use classic `zod`.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

export { z };

/** One line per issue, each prefixed with its field path: "plan.schedule.start: Invalid time". */
export function describeZodError(error: z.core.$ZodError, root?: string): string[] {
  return error.issues.map((issue) => {
    const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}
