/** An answer other than success: becomes `{ "error": { code, message, details } }` with its status. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiProblem';
  }
}

export const badRequest = (message: string, field?: string, code = 'invalid_request'): ApiProblem =>
  new ApiProblem(400, code, message, field === undefined ? undefined : { field, issues: [{ field, message }] });

export const unprocessable = (code: string, message: string, field: string, extra: Record<string, unknown> = {}): ApiProblem =>
  new ApiProblem(422, code, message, { field, issues: [{ field, message }], ...extra });

export const notFound = (what: string, details?: Record<string, unknown>): ApiProblem =>
  new ApiProblem(404, 'not_found', `${what} not found`, details);

/** "lines.update[0].price" from a zod-style path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
