/**
 * Errors of the 1C client. One base, `OneCError`, and a subclass per way a call to 1C can end
 * badly, each with a stable `code` and a `retryable` flag the worker acts on:
 *
 * | class                          | code                    | retryable | when |
 * |--------------------------------|-------------------------|-----------|------|
 * | OneCNotFoundError              | ONEC_NOT_FOUND          | no        | 1C code 9 / HTTP 404 |
 * | OneCBadRequestError            | ONEC_BAD_REQUEST        | no        | 1C codes 1 (value), 6 (unknown field/segment), 14 ($filter), other 4xx; -1 "Непредвиденный символ при чтении JSON" (a malformed body) |
 * | OneCBusinessError              | ONEC_REFUSED            | no        | 1C code -1 to a write (POST/PATCH): a handler refused it, nothing was written |
 * | OneCPostingRefusedError        | ONEC_POSTING_REFUSED    | no        | the same, answered to Post / Unpost (e.g. not enough stock) |
 * | OneCLockConflictError          | ONEC_LOCK_CONFLICT      | yes       | code -1 whose message is a lock conflict / deadlock |
 * | OneCAuthError                  | ONEC_AUTH               | no        | 401 / 403: wrong login, password or rights |
 * | OneCUnavailableError           | ONEC_UNAVAILABLE        | yes       | 5xx without an `odata.error` body, 502/503/504, 429, -1 on a read or with a lost-session text |
 * | OneCTimeoutError               | ONEC_TIMEOUT            | yes       | no answer within the time budget |
 * | OneCNetworkError               | ONEC_NETWORK            | yes       | connection refused / reset / dropped |
 * | OneCCertificateError           | ONEC_CERTIFICATE        | no        | 1C's TLS certificate is not trusted (or not for this host, or expired): nothing was sent |
 * | OneCOutcomeUnknownError        | ONEC_OUTCOME_UNKNOWN    | yes*      | a create whose result was lost: see the class |
 * | OneCStaleVersionError          | ONEC_STALE_VERSION      | yes       | an update found the order at another DataVersion than the caller merged from |
 * | OneCInvalidResponseError       | ONEC_INVALID_RESPONSE   | 5xx only  | not JSON (a proxy's HTML page, Atom XML, a cut body) |
 * | OneCUnexpectedDataError        | ONEC_UNEXPECTED_DATA    | no        | JSON that does not have the shape the field map expects |
 * | OneCInvalidArgumentError       | ONEC_INVALID_ARGUMENT   | no        | our side passed a bad guid, date, decimal, field name |
 * | OneCFieldMappingError          | ONEC_FIELD_MAPPING      | no        | `$metadata` lacks fields the exchange writes or reads |
 *
 * Errors that 1C itself answered keep its `odata.error` code and Russian text in `oneCCode` and
 * `oneCMessage` (also in `context`), so a parked order shows the manager 1C's own words.
 * Nothing here ever carries the password or the Authorization header.
 */
import { AppError, type ErrorContext } from '#platform/errors';

export interface OneCErrorOptions {
  cause?: unknown;
  context?: ErrorContext;
  /** `odata.error.code` as 1C sent it ("-1", "9", …) */
  oneCCode?: string;
  /** `odata.error.message.value`: 1C's own (Russian) text */
  oneCMessage?: string;
  /** HTTP status of the answer, when there was one */
  status?: number;
}

export abstract class OneCError extends AppError {
  readonly oneCCode: string | undefined;
  readonly oneCMessage: string | undefined;
  readonly status: number | undefined;

  constructor(message: string, options: OneCErrorOptions = {}) {
    super(message, {
      cause: options.cause,
      context: {
        ...options.context,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.oneCCode === undefined ? {} : { oneCCode: options.oneCCode }),
        ...(options.oneCMessage === undefined ? {} : { oneCMessage: options.oneCMessage }),
      },
    });
    this.oneCCode = options.oneCCode;
    this.oneCMessage = options.oneCMessage;
    this.status = options.status;
  }
}

/** 1C code 9 / HTTP 404: the object (or entity set) does not exist. */
export class OneCNotFoundError extends OneCError {
  readonly code = 'ONEC_NOT_FOUND';
  readonly retryable = false;
}

/** 1C codes 1, 6, 14 and other 4xx: the request itself is wrong; repeating it cannot help. */
export class OneCBadRequestError extends OneCError {
  readonly code = 'ONEC_BAD_REQUEST';
  readonly retryable = false;
}

/** 1C code -1 with a message from the configuration's handlers: the write was refused. */
export class OneCBusinessError extends OneCError {
  readonly code: string = 'ONEC_REFUSED';
  readonly retryable = false;
}

/** Post / Unpost refused by 1C (not enough free stock, a closed period, …), with 1C's message. */
export class OneCPostingRefusedError extends OneCBusinessError {
  override readonly code = 'ONEC_POSTING_REFUSED';
}

/** 1C answered -1 because of a lock conflict or a deadlock: a later attempt normally succeeds. */
export class OneCLockConflictError extends OneCError {
  readonly code = 'ONEC_LOCK_CONFLICT';
  readonly retryable = true;
}

/**
 * The order was written by someone else since the caller read it (its `DataVersion` moved): 1C
 * has no optimistic locking, so the client checks it itself, and the caller merges again.
 */
export class OneCStaleVersionError extends OneCError {
  readonly code = 'ONEC_STALE_VERSION';
  readonly retryable = true;
}

/** 401 / 403: the login, password or the user's rights are wrong. A configuration error. */
export class OneCAuthError extends OneCError {
  readonly code = 'ONEC_AUTH';
  readonly retryable = false;
}

/** 5xx without an `odata.error` body, 502 / 503 / 504, 429: the server or a proxy is not serving. */
export class OneCUnavailableError extends OneCError {
  readonly code = 'ONEC_UNAVAILABLE';
  readonly retryable = true;
}

/** No complete answer within the time budget of the attempt. */
export class OneCTimeoutError extends OneCError {
  readonly code = 'ONEC_TIMEOUT';
  readonly retryable = true;
}

/** The connection failed: refused, reset, closed before a complete answer, DNS, TLS. */
export class OneCNetworkError extends OneCError {
  readonly code = 'ONEC_NETWORK';
  readonly retryable = true;
}

/**
 * The publication's TLS certificate was refused: not issued by a trusted CA (the public roots,
 * or the plan's `onec.caBundle` when it names one), not for this host, expired. Nothing was
 * sent — the request goes out only after the handshake — so even a create is safely known not
 * to have happened. Repeating cannot help until the certificate or the plan changes.
 */
export class OneCCertificateError extends OneCError {
  readonly code = 'ONEC_CERTIFICATE';
  readonly retryable = false;
}

/**
 * A create (POST) was sent but its result is unknown: the answer timed out, the connection
 * dropped after the request went out, or a 5xx came without 1C's error body. 1C may or may not
 * have created the document. The client never repeats such a POST (1C has no request ids, so a
 * repeat can create a duplicate).
 *
 * The caller resolves it by looking the document up by its stable key (for orders:
 * `findOrdersByClientNumber(clientNumber)`) — found: use it; not found: do not create in the
 * same attempt (the first POST may still be running inside 1C); fail the attempt (this error is
 * `retryable`) so the next attempt, after the queue's delay, looks up again before creating.
 */
export class OneCOutcomeUnknownError extends OneCError {
  readonly code = 'ONEC_OUTCOME_UNKNOWN';
  readonly retryable = true;
}

/** The answer is not 1C's JSON: a proxy's HTML error page, Atom XML, a cut body, an empty body. */
export class OneCInvalidResponseError extends OneCError {
  readonly code = 'ONEC_INVALID_RESPONSE';
  readonly retryable: boolean;

  constructor(message: string, options: OneCErrorOptions = {}) {
    super(message, options);
    this.retryable = options.status !== undefined && options.status >= 500;
  }
}

/** JSON that does not have the shape the field map expects (a customised base, a wrong mapping). */
export class OneCUnexpectedDataError extends OneCError {
  readonly code = 'ONEC_UNEXPECTED_DATA';
  readonly retryable = false;
}

/** Our own side passed something 1C must never see: a malformed guid, date, decimal or name. */
export class OneCInvalidArgumentError extends OneCError {
  readonly code = 'ONEC_INVALID_ARGUMENT';
  readonly retryable = false;
}

/** The base's `$metadata` lacks entity sets or fields the exchange needs (or types differ). */
export class OneCFieldMappingError extends OneCError {
  readonly code = 'ONEC_FIELD_MAPPING';
  readonly retryable = false;
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options: OneCErrorOptions = {}) {
    super(`1C field mapping does not match this base's $metadata: ${problems.join('; ')}`, {
      ...options,
      context: { ...options.context, problems: problems.length },
    });
    this.problems = problems;
  }
}

/** What a request was, for messages and context. Never holds credentials. */
export interface RequestDescription {
  readonly method: string;
  /** Path and query below the base URL, decoded for humans, e.g. `Document_ЗаказКлиента(guid'…')` */
  readonly resource: string;
  readonly entitySet?: string;
  /** Set for the Post / Unpost bound functions: a -1 answer is then a posting refusal. */
  readonly posting?: 'post' | 'unpost';
}

/** `{"odata.error": {"code": "9", "message": {"lang": "ru", "value": "…"}}}` */
export interface ODataErrorBody {
  readonly code: string;
  readonly message: string;
}

/** Extracts 1C's error from a parsed body, tolerating the variants seen (message as string). */
export function readODataError(body: unknown): ODataErrorBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as Record<string, unknown>)['odata.error'] ?? (body as Record<string, unknown>)['error'];
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Record<string, unknown>;
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : '';
  const m = e.message;
  const message =
    typeof m === 'string'
      ? m
      : typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>).value === 'string'
        ? ((m as Record<string, unknown>).value as string)
        : '';
  return { code, message };
}

/** 1C's -1 (HTTP 500) to a body it cannot parse: our request is wrong, not a handler's refusal. */
const MALFORMED_JSON = /непредвиденный символ при чтении json|ошибка (разбора|чтения) json/iu;
const LOCK_CONFLICT = /конфликт блокировок|взаимоблокировк|deadlock|lock conflict|превышено максимальное время ожидания предоставления блокировки/iu;
/** -1 texts of a server that is (re)starting or lost its session, not of a configuration handler. */
const SERVER_TRANSIENT = /сеанс(а)? (отсутствует|завершен)|соединение с сервером 1с:предприятия прервано|сервер 1с:предприятия не обнаружен|session (is missing|terminated)/iu;

/**
 * Maps an HTTP answer that is not a success to the matching error.
 * `body` is the parsed JSON (or undefined when the body was not JSON: see the caller).
 */
export function errorFromResponse(
  request: RequestDescription,
  status: number,
  body: unknown,
  options: { redact?: (text: string) => string } = {},
): OneCError {
  const redact = options.redact ?? ((t: string) => t);
  const odata = readODataError(body);
  const context: ErrorContext = {
    method: request.method,
    resource: request.resource,
    ...(request.entitySet ? { entitySet: request.entitySet } : {}),
  };
  const where = `${request.method} ${request.resource}`;

  if (odata) {
    const oneCMessage = redact(odata.message);
    const opts: OneCErrorOptions = { status, oneCCode: odata.code, oneCMessage, context };
    const said = `1C ${status} code ${odata.code || '?'}: ${oneCMessage || '(no message)'}`;
    if (odata.code === '9' || status === 404) return new OneCNotFoundError(`${said} (${where})`, opts);
    if (status === 401 || status === 403) return new OneCAuthError(`${said} (${where}): check the login, password and the user's OData rights`, opts);
    if (odata.code === '1' || odata.code === '6' || odata.code === '14' || (status >= 400 && status < 500)) {
      return new OneCBadRequestError(`${said} (${where})`, opts);
    }
    if (MALFORMED_JSON.test(odata.message)) {
      return new OneCBadRequestError(`${said} (${where}): 1C could not read the request body as JSON (malformed JSON sent)`, opts);
    }
    if (LOCK_CONFLICT.test(odata.message)) return new OneCLockConflictError(`${said} (${where})`, opts);
    if (status === 502 || status === 503 || status === 504 || SERVER_TRANSIENT.test(odata.message)) return new OneCUnavailableError(`${said} (${where})`, opts);
    // A read runs no configuration handler that could refuse it: -1 there is a server fault.
    if (request.method === 'GET') return new OneCUnavailableError(`${said} (${where})`, opts);
    if (request.posting) return new OneCPostingRefusedError(`1C refused to ${request.posting}: ${oneCMessage} (${where})`, opts);
    return new OneCBusinessError(`${said} (${where})`, opts);
  }

  const opts: OneCErrorOptions = { status, context };
  if (status === 404) return new OneCNotFoundError(`1C answered 404 without an error body (${where})`, opts);
  if (status === 401 || status === 403) {
    return new OneCAuthError(`1C answered ${status} (${where}): check the login, password and the user's OData rights`, opts);
  }
  if (status === 429 || status >= 500) return new OneCUnavailableError(`1C answered ${status} without an error body (${where})`, opts);
  return new OneCBadRequestError(`1C answered ${status} without an error body (${where})`, opts);
}
