/**
 * HTTP for the control API: JSON answers, the error body `{ error: { code, message, details? } }`
 * and the mapping from the modules' errors to statuses. Nothing here ever echoes a secret:
 * plans hold secret references only, and unknown errors answer a generic message.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { AppError } from '#platform/errors';

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function noContent(headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: 204, headers: { 'cache-control': 'no-store', ...headers }, body: '' };
}

export function problem(statusCode: number, code: string, message: string, details?: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  const body: ApiErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return json(statusCode, body, headers);
}

/** A request that is wrong before any use case runs (bad JSON, bad query, bad header). */
export class BadRequestError extends AppError {
  readonly code: string;
  readonly retryable = false;
  readonly issues: readonly string[];
  constructor(code: string, issues: readonly string[]) {
    super(issues.join('; '));
    this.code = code;
    this.issues = issues;
  }
}

/**
 * Status per stable error code; a lasting refusal of the plan's 1C or secret is 502 (below),
 * anything retryable and unlisted 503, anything else 500.
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  PLAN_INVALID: 400,
  INVALID_JSON: 400,
  INVALID_QUERY: 400,
  INVALID_HEADER: 400,
  INVALID_PAGE_CURSOR: 400,
  INVALID_PATH: 400,
  RUN_MESSAGE_INVALID: 400,
  PLAN_NOT_FOUND: 404,
  PLAN_MISSING: 404,
  RUN_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  RUN_IN_PROGRESS: 409,
  ORDER_NOT_PARKED: 409,
  PLAN_RUNNING: 409,
  // A stored plan a rule added since refuses: the operator replaces it (PUT), nothing is wrong with the service.
  STORE_CORRUPT_ITEM: 409,
  PLAN_VERSION_CONFLICT: 412,
  PLAN_EXISTS: 412,
  BODY_TOO_LARGE: 413,
  // The plan's 1C refused its login, or its 1C secret is missing or malformed (choices: 1C read live).
  ONEC_AUTH: 502,
  SECRET_NOT_FOUND: 502,
  SECRET_INVALID: 502,
};

/**
 * The plan's 1C or its secret refused, for good, what a route read of them live (`onec/choices`):
 * 1C's publication not there or not answering JSON, its certificate not trusted, a request it
 * refuses, a secret the function may not read. Not this service's fault (502), and the operator
 * needs its code and message (1C's words, a secret's name, never a value; not its context). A
 * refusal that may pass (1C unavailable, a proxy's 5xx page) stays 503.
 */
function isLastingUpstreamRefusal(error: AppError): boolean {
  return !error.retryable && /^(ONEC|SECRET)_/.test(error.code);
}

export function errorResponse(error: unknown): { response: APIGatewayProxyResult; unexpected: boolean } {
  if (error instanceof AppError) {
    const status = STATUS_BY_CODE[error.code];
    if (status !== undefined) {
      const issues = (error as { issues?: readonly string[] }).issues;
      const details = issues ? { issues } : Object.keys(error.context).length ? error.context : undefined;
      const message = issues?.length ? (error.code === 'PLAN_INVALID' ? 'The plan is invalid' : 'The request is invalid') : error.message;
      return { response: problem(status, error.code, message, details), unexpected: false };
    }
    if (isLastingUpstreamRefusal(error)) return { response: problem(502, error.code, error.message), unexpected: false };
    if (error.retryable) {
      return { response: problem(503, 'SERVICE_UNAVAILABLE', 'A backing service is unavailable; try again shortly', { cause: error.code }, { 'retry-after': '5' }), unexpected: true };
    }
  }
  return { response: problem(500, 'INTERNAL', 'Internal error; see the logs for the request id'), unexpected: true };
}
