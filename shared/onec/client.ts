/**
 * The protocol-level 1C OData client: URLs, Basic auth, `$format=json`, query options, time
 * budgets, retries and error mapping. It knows the shape of OData, not the exchange's documents
 * (those are in `trade.ts`, through the field map).
 *
 * Time budgets. 1C answers in 0.1–2 s, but the first request after the publication sat idle can
 * take over 30 s (1C starts a session). Each attempt gets `requestTimeoutMs` (default 30 s), or
 * `coldStartTimeoutMs` (default 120 s) when nothing was heard from 1C for `idleAfterMs` (default
 * 5 min, and always for the first request of a client) or the previous attempt timed out.
 *
 * Retries. Reads and idempotent calls — GET, PATCH (it sets values), Post/Unpost, `$metadata`,
 * register balances — are repeated up to `retry.attempts` times with exponential back-off and
 * jitter on network errors, timeouts, 5xx and 429 that are not 1C business errors. A create
 * (POST of a new object) is repeated only when it certainly never reached 1C (no connection
 * was made, or 429). When it may have reached 1C and its result is unknown (timeout, dropped
 * connection, 5xx without 1C's error body, an unusable 2xx body) it ends in
 * `OneCOutcomeUnknownError`; when 1C answered with its own error it ends in that error (a lock
 * conflict is retryable, for the caller). Either way it is never repeated here.
 */
import http from 'node:http';
import https from 'node:https';
import { type Filter, guid, quote, render } from './filter.ts';
import {
  errorFromResponse,
  OneCCertificateError,
  OneCError,
  OneCFieldMappingError,
  OneCInvalidArgumentError,
  OneCInvalidResponseError,
  OneCNetworkError,
  OneCOutcomeUnknownError,
  OneCTimeoutError,
  OneCUnavailableError,
  OneCUnexpectedDataError,
  readODataError,
  type RequestDescription,
} from './errors.ts';
import { Functions } from './fields.ts';
import { HttpFailure, sendHttp, type HttpResponse } from './http.ts';
import { checkFieldMapping, parseMetadata, type MappingProblem, type MappingTarget, type ODataMetadata } from './metadata.ts';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1): the jitter source. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

export interface RetryOptions {
  /** Attempts in total, the first included (default 4). */
  readonly attempts?: number;
  /** First back-off (default 500 ms); doubles per attempt. */
  readonly baseDelayMs?: number;
  /** Longest back-off (default 10 s); also caps a `Retry-After`. */
  readonly maxDelayMs?: number;
}

/** What each attempt reports to `onRequest` (for logs and metrics). Never holds credentials. */
export interface RequestEvent {
  readonly method: string;
  readonly resource: string;
  readonly entitySet: string | undefined;
  readonly attempt: number;
  readonly status: number | undefined;
  readonly durationMs: number;
  readonly timeoutMs: number;
  /** Length of the full (encoded) URL. */
  readonly urlLength: number;
  readonly error: string | undefined;
}

export interface OneCClientOptions {
  /** `http(s)://host/<publication>/odata/standard.odata/` */
  readonly baseUrl: string;
  /** May be Cyrillic: sent as base64 of the UTF-8 bytes of `login:password`. */
  readonly login: string;
  readonly password: string;
  readonly requestTimeoutMs?: number;
  readonly coldStartTimeoutMs?: number;
  readonly idleAfterMs?: number;
  /** Budget of one `$metadata` attempt (default: the cold-start budget; ~23 s on a real base). */
  readonly metadataTimeoutMs?: number;
  readonly retry?: RetryOptions;
  /** Longest URL the client builds when it splits lists of refs into requests (default 2000). */
  readonly maxUrlLength?: number;
  /** Page size of `iterate` (default 500). */
  readonly pageSize?: number;
  /** Largest answer accepted (default 64 MiB; a real `$metadata` is ~17 MB). */
  readonly maxResponseBytes?: number;
  readonly clock?: Clock;
  readonly onRequest?: (event: RequestEvent) => void;
  /**
   * Asked when 1C refuses a request with 401: the credentials read afresh (a password may have
   * been changed since the client was made), or null when they are the ones already in use.
   * New credentials are kept and the request is repeated once with them; a 401 is an answer
   * (nothing was done), so this is safe for a create too.
   */
  readonly refreshCredentials?: () => Promise<{ readonly login: string; readonly password: string } | null>;
  /**
   * PEM certificates of the CA(s) that issued the publication's certificate (the plan's
   * `onec.caBundle`): trusted by this client's connections only, instead of the public roots.
   * https only.
   */
  readonly ca?: string;
}

export interface Query {
  readonly filter?: Filter;
  /** OData names (`Ref_Key`, `Товары`, `ЗаказКлиента_Type`). */
  readonly select?: readonly string[];
  /** Navigation properties; 1C expands only those also listed in `select`. */
  readonly expand?: readonly string[];
  /** `Date desc`, `Ref_Key`. */
  readonly orderby?: readonly string[];
  readonly top?: number;
  readonly skip?: number;
  /** `$inlinecount=allpages`: the answer's `count`. */
  readonly inlinecount?: boolean;
}

export interface Collection {
  readonly value: unknown[];
  /** `odata.count` (sent by 1C as a string) when `inlinecount` was asked. */
  readonly count?: number;
}

export interface BalanceQuery {
  /** Always pass one: unconditioned balances took 12–25 s on a real base. */
  readonly condition: Filter;
  /** Dimensions to group by (OData names without `_Key`, as 1C expects), default: all. */
  readonly dimensions?: readonly string[];
  /** `datetime'…'` moment; default: now. */
  readonly period?: string;
  /**
   * `$filter` on the virtual table's rows (its result names: `ВРезервеBalance gt 0`,
   * `Склад_Key eq guid'…'`); the Condition limits what 1C sums, this what it answers.
   */
  readonly filter?: Filter;
  /** `$select` of result names (a composite brings its `_Type`). */
  readonly select?: readonly string[];
  /** `$orderby` of result names: needed to page (`iterateBalance`), 1C keeps no order otherwise. */
  readonly orderby?: readonly string[];
  readonly top?: number;
  readonly skip?: number;
}

const NAME = /^[\p{L}_][\p{L}\p{N}_]*$/u;
const SELECT_ITEM = /^[\p{L}_][\p{L}\p{N}_]*(\/[\p{L}_][\p{L}\p{N}_]*)*$/u;
const ORDER_ITEM = /^[\p{L}_][\p{L}\p{N}_]*(\/[\p{L}_][\p{L}\p{N}_]*)*( (asc|desc))?$/u;
const PERIOD = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

type CallKind = 'read' | 'idempotent' | 'create';

interface Call {
  readonly method: 'GET' | 'POST' | 'PATCH';
  /** Path and query below the base URL, already encoded. */
  readonly path: string;
  readonly entitySet: string | undefined;
  readonly kind: CallKind;
  readonly body?: unknown;
  readonly posting?: 'post' | 'unpost';
  /** Expect JSON (default) or the XML of `$metadata`. */
  readonly accept?: 'json' | 'xml';
  readonly signal?: AbortSignal;
  /** Overrides the per-attempt budget (used for `$metadata`). */
  readonly timeoutMs?: number;
}

interface Answer {
  readonly status: number;
  /** Parsed JSON, or undefined for an empty body. */
  readonly json: unknown;
  readonly text: string;
}

function assertName(name: string, what: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new OneCInvalidArgumentError(`not an OData ${what}: ${JSON.stringify(String(name)).slice(0, 80)}`, { context: { argument: what } });
  }
  return name;
}

export class OneCClient {
  readonly baseUrl: URL;
  private authorization: string;
  private password: string;
  private readonly refreshCredentials: OneCClientOptions['refreshCredentials'];
  /** One refresh at a time: requests refused together wait for the same read. */
  private refreshing: Promise<void> | null = null;
  private readonly requestTimeoutMs: number;
  private readonly coldStartTimeoutMs: number;
  private readonly idleAfterMs: number;
  private readonly metadataTimeoutMs: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  readonly maxUrlLength: number;
  readonly pageSize: number;
  private readonly maxResponseBytes: number;
  private readonly clock: Clock;
  private readonly onRequest: ((event: RequestEvent) => void) | undefined;
  /** Kept-alive connections for reads and idempotent calls. */
  private readonly agent: http.Agent;
  /** The plan's CA bundle, for the connections of this client only. */
  private readonly ca: string | undefined;
  private lastHeardAt: number | undefined;
  private metadataPromise: Promise<ODataMetadata> | undefined;

  constructor(options: OneCClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (error) {
      throw new OneCInvalidArgumentError('1C base URL is not a URL', { cause: error, context: { argument: 'baseUrl' } });
    }
    if (url.username || url.password) {
      throw new OneCInvalidArgumentError('1C base URL must not carry credentials: pass login and password', { context: { argument: 'baseUrl' } });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OneCInvalidArgumentError(`1C base URL must be http(s), got ${url.protocol}`, { context: { argument: 'baseUrl' } });
    }
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.baseUrl = url;
    this.password = options.password;
    this.authorization = basicAuthorization(options.login, options.password);
    this.refreshCredentials = options.refreshCredentials;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.coldStartTimeoutMs = Math.max(options.coldStartTimeoutMs ?? 120_000, this.requestTimeoutMs);
    this.idleAfterMs = options.idleAfterMs ?? 5 * 60_000;
    this.metadataTimeoutMs = options.metadataTimeoutMs ?? this.coldStartTimeoutMs;
    this.attempts = Math.max(1, options.retry?.attempts ?? 4);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 500;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
    this.maxUrlLength = options.maxUrlLength ?? 2000;
    this.pageSize = options.pageSize ?? 500;
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
    this.clock = options.clock ?? systemClock;
    this.onRequest = options.onRequest;
    if (options.ca !== undefined && url.protocol !== 'https:') {
      throw new OneCInvalidArgumentError('a CA bundle applies to an https base URL only', { context: { argument: 'ca' } });
    }
    this.ca = options.ca;
    // A dedicated agent: the bundle is trusted by this client's connections, never by the process.
    this.agent = url.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, maxSockets: 16, ...(this.ca === undefined ? {} : { ca: this.ca }) })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  /** Closes kept-alive connections. The client stays usable (new connections are opened). */
  close(): void {
    this.agent.destroy();
  }

  // ---- URLs -------------------------------------------------------------------------------------

  /** `Document_ЗаказКлиента(guid'…')` */
  static keyPath(entitySet: string, ref: string): string {
    return `${encodeURIComponent(assertName(entitySet, 'entity set'))}(${guid(ref).text})`;
  }

  /** The query string for `query`, `$format=json` first. */
  static queryString(query: Query = {}): string {
    const parts: string[] = ['$format=json'];
    const add = (key: string, value: string): void => {
      parts.push(`${key}=${encodeURIComponent(value)}`);
    };
    if (query.filter) add('$filter', render(query.filter));
    if (query.select?.length) {
      for (const s of query.select) {
        if (!SELECT_ITEM.test(s)) throw new OneCInvalidArgumentError(`not a $select item: ${JSON.stringify(s).slice(0, 80)}`, { context: { argument: 'select' } });
      }
      add('$select', query.select.join(','));
    }
    if (query.expand?.length) {
      for (const e of query.expand) {
        if (!SELECT_ITEM.test(e)) throw new OneCInvalidArgumentError(`not an $expand item: ${JSON.stringify(e).slice(0, 80)}`, { context: { argument: 'expand' } });
      }
      add('$expand', query.expand.join(','));
    }
    if (query.orderby?.length) {
      for (const o of query.orderby) {
        if (!ORDER_ITEM.test(o)) throw new OneCInvalidArgumentError(`not an $orderby item: ${JSON.stringify(o).slice(0, 80)}`, { context: { argument: 'orderby' } });
      }
      add('$orderby', query.orderby.join(','));
    }
    for (const [key, value] of [['$top', query.top], ['$skip', query.skip]] as const) {
      if (value === undefined) continue;
      if (!Number.isSafeInteger(value) || value < 0) throw new OneCInvalidArgumentError(`${key} must be a non-negative integer`, { context: { argument: key } });
      add(key, String(value));
    }
    if (query.inlinecount) add('$inlinecount', 'allpages');
    return parts.join('&');
  }

  /** `Catalog_X?$format=json&…`: the path of a collection GET. */
  static collectionPath(entitySet: string, query: Query = {}): string {
    return `${encodeURIComponent(assertName(entitySet, 'entity set'))}?${OneCClient.queryString(query)}`;
  }

  /** `<register>/Balance(Condition='…',Dimensions='…')?$format=json[&$filter…&$orderby…&$top…]` */
  static balancePath(registerSet: string, query: BalanceQuery): string {
    const params: string[] = [];
    if (query.period !== undefined) {
      if (!PERIOD.test(query.period)) throw new OneCInvalidArgumentError('balance period must be YYYY-MM-DDTHH:MM:SS', { context: { argument: 'period' } });
      params.push(`Period=datetime'${encodeURIComponent(query.period)}'`);
    }
    // Parameter values are string literals: quotes inside doubled, then percent-encoded
    // (encodeURIComponent leaves the quotes themselves as they are).
    params.push(`${Functions.balanceCondition}=${encodeURIComponent(quote(render(query.condition)))}`);
    if (query.dimensions?.length) {
      params.push(`${Functions.balanceDimensions}=${encodeURIComponent(quote(query.dimensions.map((d) => assertName(d, 'dimension')).join(',')))}`);
    }
    const options = OneCClient.queryString({
      ...(query.filter ? { filter: query.filter } : {}),
      ...(query.select ? { select: query.select } : {}),
      ...(query.orderby ? { orderby: query.orderby } : {}),
      ...(query.top !== undefined ? { top: query.top } : {}),
      ...(query.skip !== undefined ? { skip: query.skip } : {}),
    });
    return `${encodeURIComponent(assertName(registerSet, 'register'))}/${Functions.balance}(${params.join(',')})?${options}`;
  }

  /** Length of the full URL a path would have: used to keep chunked requests under `maxUrlLength`. */
  urlLength(path: string): number {
    return this.baseUrl.href.length + path.length;
  }

  // ---- protocol operations ----------------------------------------------------------------------

  /** GET a collection (one request, one page). */
  async list(entitySet: string, query: Query = {}, options: { signal?: AbortSignal } = {}): Promise<Collection> {
    const path = OneCClient.collectionPath(entitySet, query);
    const answer = await this.call({ method: 'GET', path, entitySet, kind: 'read', signal: options.signal });
    return this.readCollection(answer, { method: 'GET', resource: this.describe(path), entitySet });
  }

  /**
   * Every object matching `query`, page by page (`$top`/`$skip`, `pageSize` at a time): memory
   * holds one page. Order by something stable (default `Ref_Key`) so pages do not overlap.
   */
  async *iterate(entitySet: string, query: Omit<Query, 'top' | 'skip' | 'inlinecount'> = {}, options: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<unknown> {
    const pageSize = options.pageSize ?? this.pageSize;
    const orderby = query.orderby?.length ? query.orderby : ['Ref_Key'];
    for (let skip = 0; ; skip += pageSize) {
      const page = await this.list(entitySet, { ...query, orderby, top: pageSize, skip }, options);
      if (page.value.length > pageSize) {
        throw new OneCUnexpectedDataError(`${entitySet}: 1C ignored $top=${pageSize} (got ${page.value.length} objects)`, { context: { entitySet } });
      }
      yield* page.value;
      if (page.value.length < pageSize) return;
    }
  }

  /** GET one object by its key; OneCNotFoundError when there is none. */
  async getByKey(entitySet: string, ref: string, query: Pick<Query, 'select' | 'expand'> = {}, options: { signal?: AbortSignal } = {}): Promise<Record<string, unknown>> {
    const path = `${OneCClient.keyPath(entitySet, ref)}?${OneCClient.queryString(query)}`;
    const answer = await this.call({ method: 'GET', path, entitySet, kind: 'read', signal: options.signal });
    return this.readObject(answer, { method: 'GET', resource: this.describe(path), entitySet });
  }

  /**
   * POST a new object; returns the object 1C answered (201, with `Ref_Key`, `Number`, `DataVersion`
   * and defaults). The key is read from the body, never from `Location`. Never repeated once it
   * may have reached 1C: an unknown result throws OneCOutcomeUnknownError.
   */
  async create(entitySet: string, body: Record<string, unknown>, options: { signal?: AbortSignal } = {}): Promise<Record<string, unknown>> {
    const path = `${encodeURIComponent(assertName(entitySet, 'entity set'))}?$format=json`;
    const request: RequestDescription = { method: 'POST', resource: this.describe(path), entitySet };
    const answer = await this.call({ method: 'POST', path, entitySet, kind: 'create', body, signal: options.signal });
    try {
      const object = this.readObject(answer, request);
      if (typeof object.Ref_Key !== 'string') throw new OneCUnexpectedDataError(`1C answered ${answer.status} to a create without Ref_Key`);
      return object;
    } catch (error) {
      // 1C said it created something, but we cannot tell what: the caller must look it up.
      throw new OneCOutcomeUnknownError(`1C answered ${answer.status} to POST ${request.resource} but the body does not identify the new object: ${(error as Error).message}`, {
        cause: error, status: answer.status, context: { method: 'POST', resource: request.resource, entitySet },
      });
    }
  }

  /** PATCH an object (only the fields sent change; a tabular section sent is replaced whole). */
  async update(entitySet: string, ref: string, body: Record<string, unknown>, options: { signal?: AbortSignal } = {}): Promise<Record<string, unknown>> {
    const path = `${OneCClient.keyPath(entitySet, ref)}?$format=json`;
    const answer = await this.call({ method: 'PATCH', path, entitySet, kind: 'idempotent', body, signal: options.signal });
    return this.readObject(answer, { method: 'PATCH', resource: this.describe(path), entitySet });
  }

  /**
   * Post or unpost a document (`?PostingModeOperational=false`). Returns the body when 1C sent
   * one, `undefined` for the empty 200 1C often answers (re-read the document then).
   */
  async callPosting(entitySet: string, ref: string, action: 'post' | 'unpost', options: { signal?: AbortSignal } = {}): Promise<Record<string, unknown> | undefined> {
    const fn = action === 'post' ? Functions.post : Functions.unpost;
    const path = `${OneCClient.keyPath(entitySet, ref)}/${fn}?${Functions.postingModeParameter}=false&$format=json`;
    const answer = await this.call({ method: 'POST', path, entitySet, kind: 'idempotent', posting: action, signal: options.signal });
    if (answer.json === undefined) return undefined;
    if (typeof answer.json !== 'object' || answer.json === null || Array.isArray(answer.json)) return undefined;
    return answer.json as Record<string, unknown>;
  }

  /**
   * A register's balance through its virtual table: `<register>/Balance(Condition='…')`.
   * The condition is a filter built with `#onec/filter`, embedded as a quoted string.
   */
  async balance(registerSet: string, query: BalanceQuery, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<unknown[]> {
    const path = OneCClient.balancePath(registerSet, query);
    // A balance over a whole warehouse may take far longer than a read by key: its own budget when given.
    const answer = await this.call({ method: 'GET', path, entitySet: registerSet, kind: 'read', signal: options.signal, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    return this.readCollection(answer, { method: 'GET', resource: this.describe(path), entitySet: registerSet }).value;
  }

  /**
   * A register's balance page by page, as 1C pages any collection: `$top`/`$skip` over the
   * virtual table, in the order of `query.orderby` (required: 1C sends the rows of a virtual table
   * in no stable order, so pages without one could overlap or miss rows). 1C has no server page
   * size and sends no next link: one request without `$top` answers every row at once.
   */
  async *iterateBalance(registerSet: string, query: Omit<BalanceQuery, 'top' | 'skip'>, options: { pageSize?: number; signal?: AbortSignal; timeoutMs?: number } = {}): AsyncGenerator<unknown> {
    if (!query.orderby?.length) {
      throw new OneCInvalidArgumentError(`${registerSet}: paging a balance needs an $orderby on its dimensions`, { context: { argument: 'orderby', entitySet: registerSet } });
    }
    const pageSize = options.pageSize ?? this.pageSize;
    for (let skip = 0; ; skip += pageSize) {
      const page = await this.balance(registerSet, { ...query, top: pageSize, skip }, options);
      if (page.length > pageSize) {
        throw new OneCUnexpectedDataError(`${registerSet}/${Functions.balance}: 1C ignored $top=${pageSize} (got ${page.length} rows)`, { context: { entitySet: registerSet } });
      }
      yield* page;
      if (page.length < pageSize) return;
    }
  }

  /** `$metadata`, fetched once per client (lazily; ~17 MB and ~23 s on a real base) and parsed. */
  metadata(): Promise<ODataMetadata> {
    this.metadataPromise ??= this.call({ method: 'GET', path: '$metadata', entitySet: undefined, kind: 'read', accept: 'xml', timeoutMs: this.metadataTimeoutMs })
      .then((answer) => parseMetadata(answer.text));
    // A failed fetch is not cached: the next call tries again.
    this.metadataPromise.catch(() => { this.metadataPromise = undefined; });
    return this.metadataPromise;
  }

  /** The mapping problems of this base (empty = fine). */
  async checkFieldMapping(target: MappingTarget): Promise<MappingProblem[]> {
    return checkFieldMapping(await this.metadata(), target);
  }

  /** Throws OneCFieldMappingError naming every problem: call it at setup. */
  async assertFieldMapping(target: MappingTarget): Promise<void> {
    const problems = await this.checkFieldMapping(target);
    if (problems.length) throw new OneCFieldMappingError(problems.map((p) => p.message));
  }

  // ---- the engine -------------------------------------------------------------------------------

  private describe(path: string): string {
    try {
      return decodeURIComponent(path);
    } catch {
      return path;
    }
  }

  /** Uses these credentials from the next request on (a rotated password). */
  setCredentials(credentials: { readonly login: string; readonly password: string }): void {
    this.password = credentials.password;
    this.authorization = basicAuthorization(credentials.login, credentials.password);
  }

  /**
   * After a 401 to a request sent with `sentWith`: true when other credentials are now in use
   * (another request refreshed them meanwhile, or the refresh found new ones).
   */
  private async renewCredentials(sentWith: string): Promise<boolean> {
    if (this.authorization !== sentWith) return true;
    if (!this.refreshCredentials) return false;
    this.refreshing ??= (async () => {
      try {
        const fresh = await this.refreshCredentials!();
        if (fresh) this.setCredentials(fresh);
      } catch {
        // The secret could not be read again: the 401 stands.
      } finally {
        this.refreshing = null;
      }
    })();
    await this.refreshing;
    return this.authorization !== sentWith;
  }

  private redact = (text: string): string => (this.password.length >= 3 ? text.split(this.password).join('***') : text);

  private timeoutFor(previousTimedOut: boolean): number {
    const idle = this.lastHeardAt === undefined || this.clock.now() - this.lastHeardAt > this.idleAfterMs;
    return idle || previousTimedOut ? this.coldStartTimeoutMs : this.requestTimeoutMs;
  }

  private backoff(attempt: number, retryAfter: string | string[] | undefined): number {
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const jittered = cap / 2 + this.clock.random() * (cap / 2);
    const seconds = typeof retryAfter === 'string' ? Number(retryAfter) : Number.NaN;
    return Number.isFinite(seconds) && seconds > 0 ? Math.min(this.maxDelayMs, Math.max(jittered, seconds * 1000)) : jittered;
  }

  private async call(call: Call): Promise<Answer> {
    const resource = this.describe(call.path);
    const request: RequestDescription = { method: call.method, resource, entitySet: call.entitySet, ...(call.posting ? { posting: call.posting } : {}) };
    const url = new URL(call.path, this.baseUrl);
    const body = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body), 'utf8');
    const headers: Record<string, string> = {
      Authorization: this.authorization,
      Accept: call.accept === 'xml' ? 'application/xml' : 'application/json',
      'Accept-Charset': 'utf-8',
      ...(body ? { 'Content-Type': 'application/json;charset=utf-8' } : {}),
    };
    let previousTimedOut = false;
    let renewed = false;

    for (let attempt = 1; ; attempt++) {
      headers['Authorization'] = this.authorization;
      const timeoutMs = Math.max(call.timeoutMs ?? 0, this.timeoutFor(previousTimedOut));
      const started = this.clock.now();
      let error: OneCError;
      let retryAfter: string | string[] | undefined;
      let response: HttpResponse | undefined;
      try {
        response = await sendHttp({
          url, method: call.method, headers, body, timeoutMs,
          // A create goes over a fresh connection: a kept-alive socket the server has just closed
          // would turn a create that never arrived into an unknown outcome.
          agent: call.kind === 'create' ? false : this.agent,
          maxResponseBytes: this.maxResponseBytes,
          signal: call.signal,
          ...(this.ca === undefined ? {} : { ca: this.ca }),
        });
      } catch (failure) {
        if (!(failure instanceof HttpFailure)) throw failure;
        previousTimedOut = failure.reason === 'timeout';
        this.report(call, request, attempt, undefined, started, timeoutMs, failure.message);
        if (failure.responseStarted) this.lastHeardAt = this.clock.now();
        const context = { method: call.method, resource, ...(call.entitySet ? { entitySet: call.entitySet } : {}), attempt };
        if (failure.reason === 'certificate') {
          // Refused in the handshake: nothing was sent, so not even a create is in doubt.
          throw new OneCCertificateError(
            `the TLS certificate of 1C at ${this.baseUrl.origin} is not trusted (${failure.message}): ${this.ca === undefined
              ? "if the publication's certificate is issued by the supplier's own CA, put that CA's certificate (PEM) in the plan's onec.caBundle"
              : "it is not issued by a CA of the plan's onec.caBundle for this host, or it has expired"}`,
            { cause: failure, context },
          );
        }
        if (failure.reason === 'aborted') {
          if (call.kind === 'create' && failure.connected) {
            throw new OneCOutcomeUnknownError(`POST ${resource} was aborted after it may have reached 1C; look the object up by its stable key`, { cause: failure, context });
          }
          throw new OneCNetworkError(`${call.method} ${resource}: aborted by the caller`, { cause: failure, context });
        }
        error = failure.reason === 'timeout'
          ? new OneCTimeoutError(`1C did not answer ${call.method} ${resource} within ${timeoutMs} ms`, { cause: failure, context })
          : failure.reason === 'too-large'
            ? new OneCInvalidResponseError(`1C's answer to ${call.method} ${resource} is larger than ${this.maxResponseBytes} bytes`, { cause: failure, context })
            : new OneCNetworkError(`connection to 1C failed during ${call.method} ${resource}: ${failure.message}`, { cause: failure, context });
        if (call.kind === 'create' && failure.connected) {
          throw new OneCOutcomeUnknownError(
            `the result of POST ${resource} is unknown (${error.code}: ${failure.message}); 1C may have created the object: look it up by its stable key, do not repeat the POST`,
            { cause: error, context },
          );
        }
      }

      if (response) {
        this.lastHeardAt = this.clock.now();
        previousTimedOut = false;
        retryAfter = response.headers['retry-after'];
        const answer = this.interpret(response, call, request);
        this.report(call, request, attempt, response.status, started, timeoutMs, answer instanceof OneCError ? answer.code : undefined);
        if (!(answer instanceof OneCError)) return answer;
        error = answer;
        // Refused: once per request, with credentials read afresh (not counted as an attempt).
        if (response.status === 401 && !renewed) {
          renewed = true;
          if (await this.renewCredentials(headers['Authorization']!)) {
            attempt -= 1;
            continue;
          }
        }
        if (call.kind === 'create') {
          const unknown = (error instanceof OneCUnavailableError && response.status !== 429 && error.oneCCode === undefined) ||
            (error instanceof OneCInvalidResponseError && (response.status >= 500 || (response.status >= 200 && response.status < 300)));
          if (unknown) {
            throw new OneCOutcomeUnknownError(
              `the result of POST ${resource} is unknown: ${response.status >= 300 ? `1C (or a proxy) answered ${response.status} without 1C's error body` : `1C answered ${response.status} with a body that is not usable`}; 1C may have created the object: look it up by its stable key, do not repeat the POST`,
              { cause: error, status: response.status, context: { method: call.method, resource, ...(call.entitySet ? { entitySet: call.entitySet } : {}) } },
            );
          }
          // 1C answered with its own error: nothing was created. Still not repeated here (a
          // lock conflict is retryable at the caller's level, which looks the order up first).
          if (response.status !== 429) throw error;
        }
      }

      if (!error!.retryable || attempt >= this.attempts) throw error!;
      await this.clock.sleep(this.backoff(attempt, retryAfter));
    }
  }

  private report(call: Call, request: RequestDescription, attempt: number, status: number | undefined, started: number, timeoutMs: number, error: string | undefined): void {
    if (!this.onRequest) return;
    try {
      this.onRequest({
        method: call.method, resource: request.resource, entitySet: call.entitySet, attempt, status,
        durationMs: this.clock.now() - started, timeoutMs, urlLength: this.urlLength(call.path), error,
      });
    } catch {
      // observers never break a call
    }
  }

  /** A success as an Answer, anything else as the matching error. */
  private interpret(response: HttpResponse, call: Call, request: RequestDescription): Answer | OneCError {
    const { status, contentType } = response;
    const text = response.body.toString('utf8');
    const trimmed = text.trimStart();
    const where = `${call.method} ${this.baseUrl.origin}${this.baseUrl.pathname}${request.resource}`;

    if (status === 401 || status === 403) {
      let json: unknown;
      try { json = trimmed ? JSON.parse(text) : undefined; } catch { json = undefined; }
      return errorFromResponse(request, status, json, { redact: this.redact });
    }

    if (call.accept === 'xml' && status >= 200 && status < 300) {
      if (!trimmed.startsWith('<')) {
        return new OneCInvalidResponseError(`expected $metadata XML from ${where}, got ${status} ${contentType || 'without content-type'}`, { status, context: { resource: request.resource, contentType } });
      }
      return { status, json: undefined, text };
    }

    let json: unknown;
    if (trimmed !== '') {
      const looksJson = trimmed.startsWith('{') || trimmed.startsWith('[');
      try {
        if (!looksJson) throw new Error('not JSON');
        json = JSON.parse(text);
      } catch (error) {
        const preview = trimmed.slice(0, 120).replace(/\s+/g, ' ');
        return new OneCInvalidResponseError(
          `1C did not answer JSON: ${where} → ${status} ${contentType || 'without content-type'}${preview ? `: ${this.redact(preview)}` : ''}`,
          { cause: error, status, context: { method: call.method, resource: request.resource, contentType: contentType || null } },
        );
      }
    }

    if (status >= 200 && status < 300) {
      // Some proxies answer 200 with 1C's error inside.
      if (readODataError(json)) return errorFromResponse(request, 500, json, { redact: this.redact });
      return { status, json, text };
    }
    return errorFromResponse(request, status, json, { redact: this.redact });
  }

  private readObject(answer: Answer, request: RequestDescription): Record<string, unknown> {
    const json = answer.json;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new OneCInvalidResponseError(`1C answered ${answer.status} to ${request.method} ${request.resource} without an object in the body`, {
        status: answer.status, context: { method: request.method, resource: request.resource },
      });
    }
    return json as Record<string, unknown>;
  }

  private readCollection(answer: Answer, request: RequestDescription): Collection {
    const object = this.readObject(answer, request);
    const value = object.value;
    if (!Array.isArray(value)) {
      throw new OneCUnexpectedDataError(`1C answered ${request.method} ${request.resource} without a "value" array`, { context: { resource: request.resource } });
    }
    const rawCount = object['odata.count'];
    if (rawCount === undefined) return { value };
    const count = typeof rawCount === 'string' ? Number(rawCount) : rawCount;
    if (typeof count !== 'number' || !Number.isSafeInteger(count)) {
      throw new OneCUnexpectedDataError(`1C sent odata.count ${JSON.stringify(rawCount)}`, { context: { resource: request.resource } });
    }
    return { value, count };
  }
}

function basicAuthorization(login: string, password: string): string {
  return `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;
}
