/**
 * The Goodwix API client (contract: docs/goodwix-api.md). The only code that talks to Goodwix.
 *
 * * Logs in with the supplier's e-mail and password, keeps the token, renews it before it
 *   expires and, on a 401, once per request.
 * * Honours 429 Retry-After (bounded); retries 5xx, timeouts and network errors with exponential
 *   back-off and full jitter — for idempotent calls only, which all of ours are: reads, the
 *   replacement of a product's reserves, and order updates (they carry `expectedVersion` and an
 *   Idempotency-Key, so a repeat either replays the first answer or gets a version conflict).
 * * Pages through lists one page at a time (async iterators): memory stays bounded.
 * * Every answer is checked against the contract's shape; every failure is a GoodwixError.
 */
import { randomUUID } from 'node:crypto';
import type * as z from '#platform/zod';
import { describeZodError } from '#platform/zod';
import { silentLogger, type Logger } from '#platform/logger';
import {
  GoodwixAuthError,
  type GoodwixError,
  GoodwixInvalidArgumentError,
  GoodwixInvalidRequestError,
  GoodwixNetworkError,
  GoodwixNotFoundError,
  GoodwixOrderStateError,
  GoodwixRateLimitedError,
  GoodwixResponseError,
  GoodwixTimeoutError,
  GoodwixUnavailableError,
  GoodwixValidationError,
  GoodwixVersionConflictError,
} from './errors.ts';
import type {
  GoodwixBuyer,
  GoodwixCatalog,
  GoodwixIntegrationReserve,
  GoodwixOrder,
  GoodwixOrderPage,
  GoodwixOrderQuery,
  GoodwixOrderUpdate,
  GoodwixPriceList,
  GoodwixProduct,
  GoodwixProductReserves,
} from './model.ts';
import {
  buyerAnswer,
  buyerFromWire,
  buyerPageAnswer,
  catalogAnswer,
  catalogFromWire,
  errorBody,
  integrationReservesToWire,
  loginAnswer,
  MAX_PAGE_SIZE,
  MAX_RESERVE_PRODUCTS,
  orderAnswer,
  orderFromWire,
  orderPageAnswer,
  orderUpdateToWire,
  paths,
  priceListFromWire,
  priceListPageAnswer,
  productAnswer,
  productFromWire,
  productPageAnswer,
  productReservesAnswer,
  productReservesFromWire,
  reservesListAnswer,
  toWireStatus,
} from './wire.ts';

export interface GoodwixClientOptions {
  /** The service root, e.g. `https://pub.goodwix.com`; the client adds the API paths. */
  baseUrl: string;
  /** The supplier's login. */
  email: string;
  password: string;
  /** The catalog number, as in …/catalogs/2369/products. */
  catalogId: number;
  /** Per attempt, covering the whole answer. Default 15 s. */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default 4. */
  maxAttempts?: number;
  /** Back-off before retry n: random(0, min(maxMs, baseMs · 2^(n−1))). Default 200 ms / 5 s. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** A 429 asking to wait longer than this is not waited for: GoodwixRateLimitedError. Default 30 s. */
  maxRetryAfterMs?: number;
  /** Orders, products and buyers per request, 1..500. Default 100. */
  pageSize?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Epoch milliseconds, for the token's expiry and HTTP-date Retry-After. */
  now?: () => number;
  /** In [0, 1), for the back-off jitter. */
  random?: () => number;
  logger?: Logger;
  /** Called after every HTTP attempt, for latency and error metrics (never with the token). */
  onRequest?: (event: GoodwixRequestEvent) => void;
  /**
   * Asked when Goodwix refuses the login with 401: the password read afresh (it may have been
   * changed since the client was made), or null when it is the one already in use. A new one is
   * kept and the login repeated once with it.
   */
  refreshPassword?: () => Promise<string | null>;
}

export interface GoodwixRequestEvent {
  readonly method: string;
  /** The path with ids replaced by `{id}`: a metric dimension of bounded cardinality */
  readonly operation: string;
  readonly status: number | undefined;
  readonly durationMs: number;
  readonly error: string | undefined;
}

/** What a list of orders offers: orders one by one, pages, and where to resume. */
export interface GoodwixOrderFeed extends AsyncIterable<GoodwixOrder> {
  /**
   * Where to resume: past every page whose orders were all handed out and the next one asked
   * for (so past what the consumer finished with). After the loop ends: the head of the feed,
   * to be persisted for the next run. Undefined until the first page is finished.
   */
  readonly cursor: string | undefined;
  /** The same orders, a page at a time. */
  pages(): AsyncIterableIterator<GoodwixOrderPage>;
}

interface Call<S extends z.ZodMiniType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Whether repeating after a 5xx, a timeout or a lost connection is safe. */
  idempotent: boolean;
  auth: boolean;
  answer: S;
  /** Extra context for errors, e.g. the order id. */
  context?: Record<string, string | number>;
}

interface Token {
  value: string;
  expiresAtMs: number;
  renewAtMs: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class GoodwixClient {
  readonly catalogId: number;
  private readonly baseUrl: string;
  private readonly email: string;
  private password: string;
  private readonly refreshPassword: (() => Promise<string | null>) | undefined;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly pageSize: number;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly onRequest: ((event: GoodwixRequestEvent) => void) | undefined;
  private token: Token | null = null;
  private loggingIn: Promise<Token> | null = null;

  constructor(options: GoodwixClientOptions) {
    this.baseUrl = checkedBaseUrl(options.baseUrl);
    this.email = options.email;
    this.password = options.password;
    this.refreshPassword = options.refreshPassword;
    this.catalogId = options.catalogId;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.backoffBaseMs = options.backoff?.baseMs ?? 200;
    this.backoffMaxMs = options.backoff?.maxMs ?? 5_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.pageSize = clampPageSize(options.pageSize ?? 100);
    this.fetchFn = options.fetch ?? fetch;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.onRequest = options.onRequest;
  }

  // ---------------------------------------------------------------- session

  /** Logs in now (otherwise the first call does). */
  async login(): Promise<{ expiresAt: string }> {
    const token = await this.freshToken(true);
    return { expiresAt: new Date(token.expiresAtMs).toISOString() };
  }

  // ---------------------------------------------------------------- catalog

  async catalog(): Promise<GoodwixCatalog> {
    return catalogFromWire(await this.call({ method: 'GET', path: paths.catalog(this.catalogId), idempotent: true, auth: true, answer: catalogAnswer }));
  }

  /** Products of the catalog (each variant is a product), optionally only some ids or one ERP nomenclature. */
  products(filter: { ids?: readonly number[]; nomenclatureId?: string } = {}): AsyncIterable<GoodwixProduct> {
    const query = { ids: filter.ids?.join(','), nomenclatureId: filter.nomenclatureId };
    return this.listAll(paths.products(this.catalogId), query, productPageAnswer, productFromWire);
  }

  /**
   * One page of the catalog's products from `cursor` (null: the first page); `nextCursor` null
   * on the last. For a walk that may stop and go on later from the cursor it kept.
   */
  async productPage(cursor: string | null): Promise<{ items: GoodwixProduct[]; nextCursor: string | null }> {
    const page = await this.call({
      method: 'GET',
      path: paths.products(this.catalogId),
      query: { limit: String(this.pageSize), cursor: cursor ?? undefined },
      idempotent: true,
      auth: true,
      answer: productPageAnswer,
    });
    return { items: page.items.map(productFromWire), nextCursor: page.hasMore ? page.nextCursor : null };
  }

  async product(productId: number): Promise<GoodwixProduct> {
    const w = await this.call({ method: 'GET', path: paths.product(this.catalogId, productId), idempotent: true, auth: true, answer: productAnswer, context: { productId } });
    return productFromWire(w);
  }

  /** The Goodwix product uploaded with these ERP ids (nomenclature and characteristic), or null. */
  async findProductByErp(nomenclatureId: string, characteristicId: string | null): Promise<GoodwixProduct | null> {
    for await (const p of this.products({ nomenclatureId })) {
      if (p.characteristicId === characteristicId) return p;
    }
    return null;
  }

  buyers(filter: { inn?: string; counterpartyId?: string } = {}): AsyncIterable<GoodwixBuyer> {
    return this.listAll(paths.buyers(this.catalogId), { inn: filter.inn, counterpartyId: filter.counterpartyId }, buyerPageAnswer, buyerFromWire);
  }

  async buyer(buyerId: number): Promise<GoodwixBuyer> {
    return buyerFromWire(await this.call({ method: 'GET', path: paths.buyer(this.catalogId, buyerId), idempotent: true, auth: true, answer: buyerAnswer, context: { buyerId } }));
  }

  async priceLists(): Promise<GoodwixPriceList[]> {
    const out: GoodwixPriceList[] = [];
    for await (const pl of this.listAll(paths.priceLists(this.catalogId), {}, priceListPageAnswer, priceListFromWire)) out.push(pl);
    return out;
  }

  // ---------------------------------------------------------------- orders

  /**
   * Confirmed orders by their last change, oldest first, one page in memory at a time.
   * `for await (const order of client.orders({ changedSince }))`, then persist `feed.cursor`.
   */
  orders(query: GoodwixOrderQuery = {}): GoodwixOrderFeed {
    const client = this;
    const limit = String(clampPageSize(query.pageSize ?? this.pageSize));
    const status = query.statuses?.length ? query.statuses.map(toWireStatus).join(',') : undefined;
    const changedSince = query.changedSince === undefined ? undefined : query.changedSince instanceof Date ? query.changedSince.toISOString() : query.changedSince;
    const cursor = query.cursor;
    let finished: string | undefined;

    async function* pages(): AsyncGenerator<GoodwixOrderPage> {
      let next = cursor;
      for (;;) {
        const w = await client.call({
          method: 'GET',
          path: paths.orders(client.catalogId),
          query: { status, limit, ...(next === undefined ? { changedSince } : { cursor: next }) },
          idempotent: true,
          auth: true,
          answer: orderPageAnswer,
        });
        const page: GoodwixOrderPage = { orders: w.items.map(orderFromWire), cursor: w.nextCursor, hasMore: w.hasMore };
        yield page;
        finished = page.cursor;
        next = page.cursor;
        if (!page.hasMore) return;
      }
    }

    return {
      get cursor() {
        return finished;
      },
      pages,
      async *[Symbol.asyncIterator]() {
        for await (const page of pages()) yield* page.orders;
      },
    };
  }

  async order(orderId: number): Promise<GoodwixOrder> {
    return orderFromWire(await this.call({ method: 'GET', path: paths.order(this.catalogId, orderId), idempotent: true, auth: true, answer: orderAnswer, context: { orderId } }));
  }

  /**
   * Applies the ERP's changes to a confirmed order, all or nothing. A stale `expectedVersion`
   * is a GoodwixVersionConflictError carrying the order's current version.
   */
  async updateOrder(orderId: number, update: GoodwixOrderUpdate): Promise<GoodwixOrder> {
    const w = await this.call({
      method: 'PATCH',
      path: paths.order(this.catalogId, orderId),
      body: orderUpdateToWire(update),
      headers: { 'Idempotency-Key': randomUUID() },
      idempotent: true,
      auth: true,
      answer: orderAnswer,
      context: { orderId, expectedVersion: update.expectedVersion },
    });
    return orderFromWire(w);
  }

  // ---------------------------------------------------------------- reserves

  /** Reserves of the given products (asked 100 at a time), in the order given. */
  async reserves(productIds: readonly number[]): Promise<GoodwixProductReserves[]> {
    const out: GoodwixProductReserves[] = [];
    for (let i = 0; i < productIds.length; i += MAX_RESERVE_PRODUCTS) {
      const chunk = productIds.slice(i, i + MAX_RESERVE_PRODUCTS);
      const w = await this.call({
        method: 'GET',
        path: paths.reserves(this.catalogId),
        query: { productIds: chunk.join(',') },
        idempotent: true,
        auth: true,
        answer: reservesListAnswer,
      });
      out.push(...w.items.map(productReservesFromWire));
    }
    return out;
  }

  /** The product's integration reserves become exactly these (none: all removed); manual ones stay. */
  async replaceIntegrationReserves(productId: number, reserves: readonly GoodwixIntegrationReserve[]): Promise<GoodwixProductReserves> {
    const w = await this.call({
      method: 'PUT',
      path: paths.productReserves(this.catalogId, productId),
      body: integrationReservesToWire(reserves),
      idempotent: true,
      auth: true,
      answer: productReservesAnswer,
      context: { productId },
    });
    return productReservesFromWire(w);
  }

  // ---------------------------------------------------------------- plumbing

  private listAll<S extends z.ZodMiniType<{ items: unknown[]; hasMore: boolean; nextCursor: string | null }>, T>(
    path: string,
    filter: Record<string, string | undefined>,
    answer: S,
    map: (item: z.infer<S>['items'][number]) => T,
  ): AsyncIterable<T> {
    const client = this;
    return {
      async *[Symbol.asyncIterator]() {
        let cursor: string | undefined;
        for (;;) {
          const page = (await client.call({
            method: 'GET',
            path,
            query: { ...filter, limit: String(client.pageSize), cursor },
            idempotent: true,
            auth: true,
            answer,
          })) as z.infer<S>;
          for (const item of page.items) yield map(item);
          if (!page.hasMore || page.nextCursor === null) return;
          cursor = page.nextCursor;
        }
      },
    };
  }

  /** Uses this password from the next login on (a rotated password); the current token is kept while Goodwix accepts it. */
  setPassword(password: string): void {
    this.password = password;
  }

  private postLogin(password: string) {
    return this.call({
      method: 'POST',
      path: paths.login,
      body: { email: this.email, password },
      idempotent: true, // another token is harmless
      auth: false,
      answer: loginAnswer,
    });
  }

  /** The login; refused with 401, once more with the password read afresh when it changed. */
  private async loginOnce(): Promise<z.infer<typeof loginAnswer>> {
    const password = this.password;
    try {
      return await this.postLogin(password);
    } catch (error) {
      if (!(error instanceof GoodwixAuthError) || error.context['status'] !== 401 || !this.refreshPassword) throw error;
      let fresh: string | null;
      try {
        fresh = await this.refreshPassword();
      } catch {
        throw error; // the secret could not be read again: the refusal stands
      }
      if (fresh !== null) this.password = fresh;
      if (this.password === password) throw error;
      this.logger.debug('Goodwix: login refused, logging in with the password read again', {});
      return this.postLogin(this.password);
    }
  }

  private async freshToken(force = false): Promise<Token> {
    const current = this.token;
    if (!force && current && this.now() < current.renewAtMs) return current;
    this.loggingIn ??= (async () => {
      try {
        const w = await this.loginOnce();
        const issuedAtMs = this.now();
        const expiresAtMs = Date.parse(w.expiresAt);
        if (Number.isNaN(expiresAtMs)) throw new GoodwixResponseError('Goodwix login answered an unreadable expiresAt', { context: { path: paths.login } });
        const lifetime = Math.max(0, expiresAtMs - issuedAtMs);
        const token = { value: w.accessToken, expiresAtMs, renewAtMs: expiresAtMs - Math.min(30_000, lifetime / 10) };
        this.token = token;
        this.logger.debug('Goodwix: logged in', { expiresAt: w.expiresAt });
        return token;
      } finally {
        this.loggingIn = null;
      }
    })();
    return this.loggingIn;
  }

  private async call<S extends z.ZodMiniType>(call: Call<S>): Promise<z.infer<S>> {
    const where = { method: call.method, path: call.path, ...call.context };
    let renewed = false;
    for (let attempt = 1; ; attempt += 1) {
      const token = call.auth ? await this.freshToken() : null;
      let status: number;
      let headers: Headers;
      let text: string;
      let utf8: boolean;
      try {
        ({ status, headers, text, utf8 } = await this.send(call, token?.value ?? null));
      } catch (error) {
        const failure =
          error instanceof GoodwixTimeoutError ? error : new GoodwixNetworkError(`Goodwix ${call.method} ${call.path}: ${describeNetworkError(error)}`, { cause: withoutCredentialsIn(error), context: where });
        if (call.idempotent && attempt < this.maxAttempts) {
          await this.backoff(attempt, failure);
          continue;
        }
        throw failure;
      }

      if (status >= 200 && status < 300) {
        if (!utf8) {
          const type = headers.get('content-type');
          throw new GoodwixResponseError(`Goodwix ${call.method} ${call.path}: ${status} with a body that is not UTF-8${type ? ` (content-type: ${type})` : ''}; Goodwix answers UTF-8 JSON only`, { context: { ...where, status } });
        }
        return this.parse(call, status, text, where);
      }

      const problem = readProblem(text);
      const context = { ...where, status, apiCode: problem?.code ?? null, field: fieldOf(problem) };
      const what = `Goodwix ${call.method} ${call.path}: ${status}${problem ? ` ${problem.code}: ${problem.message}` : ''}`;

      if (status === 401 && call.auth && !renewed) {
        renewed = true; // renew once per request; does not count as an attempt
        attempt -= 1;
        if (this.token === token) this.token = null;
        this.logger.debug('Goodwix: token refused, logging in again', { apiCode: problem?.code ?? null });
        continue;
      }
      if (status === 429) {
        const waitMs = retryAfterMs(headers.get('retry-after'), this.now());
        if (attempt < this.maxAttempts && (waitMs ?? 0) <= this.maxRetryAfterMs) {
          const delay = waitMs ?? this.backoffDelay(attempt);
          this.logger.warn('Goodwix: rate limited, waiting', { ...where, waitMs: delay, attempt });
          await this.sleep(delay);
          continue;
        }
        throw new GoodwixRateLimitedError(what, waitMs, { context: { ...context, retryAfterMs: waitMs } });
      }
      if (status >= 500) {
        const failure = new GoodwixUnavailableError(what, { context });
        if (call.idempotent && attempt < this.maxAttempts) {
          await this.backoff(attempt, failure);
          continue;
        }
        throw failure;
      }
      throw this.clientError(status, problem, what, context, call);
    }
  }

  private async send(call: Call<z.ZodMiniType>, token: string | null): Promise<{ status: number; headers: Headers; text: string; utf8: boolean }> {
    const url = new URL(this.baseUrl + call.path);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { Accept: 'application/json', ...call.headers };
    if (call.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
    if (token) headers.Authorization = `Bearer ${token}`;
    const controller = new AbortController();
    const startedAt = Date.now();
    let status: number | undefined;
    let failure: string | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      const res = await this.fetchFn(url, {
        method: call.method,
        headers,
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        signal: controller.signal,
      });
      // Goodwix speaks UTF-8 JSON: a body in another encoding (windows-1251 from a misconfigured
      // proxy) is refused rather than read as mojibake and written into 1C.
      const raw = await res.arrayBuffer();
      let text: string;
      let utf8 = true;
      try {
        // `stream`: a body cut inside a character is reported as cut (not JSON), not as another encoding.
        text = new TextDecoder('utf-8', { fatal: true }).decode(raw, { stream: true });
      } catch {
        utf8 = false;
        text = new TextDecoder('utf-8').decode(raw);
      }
      status = res.status;
      return { status: res.status, headers: res.headers, text, utf8 };
    } catch (error) {
      failure = timedOut ? 'timeout' : (error as Error).name;
      if (timedOut) {
        throw new GoodwixTimeoutError(`Goodwix ${call.method} ${call.path}: no answer within ${this.timeoutMs} ms`, {
          cause: error,
          context: { method: call.method, path: call.path, timeoutMs: this.timeoutMs, ...call.context },
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      this.onRequest?.({ method: call.method, operation: `${call.method} ${call.path.replace(/\/\d+(?=\/|$)/g, '/{id}')}`, status, durationMs: Date.now() - startedAt, error: failure });
    }
  }

  private parse<S extends z.ZodMiniType>(call: Call<S>, status: number, text: string, where: Record<string, string | number>): z.infer<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new GoodwixResponseError(`Goodwix ${call.method} ${call.path}: ${status} with a body that is not JSON`, { cause: error, context: { ...where, status } });
    }
    const result = call.answer.safeParse(json);
    if (!result.success) {
      const issues = describeZodError(result.error);
      throw new GoodwixResponseError(`Goodwix ${call.method} ${call.path}: unexpected answer: ${issues.slice(0, 5).join('; ')}`, {
        context: { ...where, status, issues: issues.length },
      });
    }
    return result.data as z.infer<S>;
  }

  private clientError(
    status: number,
    problem: Problem | null,
    what: string,
    context: Record<string, string | number | null>,
    call: Call<z.ZodMiniType>,
  ): GoodwixError {
    if (status === 401 || status === 403) return new GoodwixAuthError(what, { context });
    if (status === 404) return new GoodwixNotFoundError(what, { context });
    if (status === 409 && problem?.code === 'version_conflict') {
      const current = problem.details?.currentVersion;
      const orderId = Number(call.context?.orderId ?? 0);
      const expected = Number(call.context?.expectedVersion ?? 0);
      return new GoodwixVersionConflictError(orderId, expected, typeof current === 'number' ? current : null, { context: { method: call.method, path: call.path, status } });
    }
    if (status === 409) return new GoodwixOrderStateError(what, { context });
    if (status === 422) return new GoodwixValidationError(what, { context });
    return new GoodwixInvalidRequestError(what, { context });
  }

  private backoffDelay(attempt: number): number {
    const cap = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * cap);
  }

  private async backoff(attempt: number, failure: GoodwixError): Promise<void> {
    const delay = this.backoffDelay(attempt);
    this.logger.warn('Goodwix: retrying', { code: failure.code, ...failure.context, attempt, delayMs: delay });
    await this.sleep(delay);
  }
}

export function createGoodwixClient(options: GoodwixClientOptions): GoodwixClient {
  return new GoodwixClient(options);
}

// -------------------------------------------------------------------- helpers

interface Problem {
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}

function readProblem(text: string): Problem | null {
  try {
    const result = errorBody.safeParse(JSON.parse(text));
    return result.success ? result.data.error : null;
  } catch {
    return null;
  }
}

function fieldOf(problem: Problem | null): string | null {
  const field = problem?.details?.field;
  return typeof field === 'string' ? field : null;
}

/** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

function clampPageSize(n: number): number {
  return Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(n)));
}

function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? withoutUrlCredentials(error.message) : 'network error';
}

/**
 * The base URL without a trailing slash, refused for good when it cannot work: fetch refuses a
 * URL with credentials at every call (the e-mail and password are the login's), and retrying a
 * URL that is no http(s) URL cannot help. The message names the argument, never the URL.
 */
function checkedBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new GoodwixInvalidArgumentError('Goodwix base URL is not a URL', { context: { argument: 'baseUrl' } });
  }
  if (url.username || url.password) throw new GoodwixInvalidArgumentError('Goodwix base URL must not carry credentials: pass the e-mail and password', { context: { argument: 'baseUrl' } });
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GoodwixInvalidArgumentError(`Goodwix base URL must be http(s), got ${url.protocol}`, { context: { argument: 'baseUrl' } });
  return baseUrl.replace(/\/+$/, '');
}

/**
 * `text` with the user name and password of every URL in it replaced by `***`. fetch refuses a
 * URL with credentials quoting it whole ("Request cannot be constructed from a URL that includes
 * credentials: https://user:pw@…"), and a network error's message reaches logs, run problems and
 * sync records. The userinfo runs to the last `@` before the path: a password may hold an `@`.
 */
export function withoutUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi, '$1***@');
}

/**
 * The error fetch threw, or a copy without the URL credentials it quotes: the cause is kept on
 * the network error, and loggers print a cause's message and stack. The copy drops the error's
 * own cause, which may quote the URL too.
 */
function withoutCredentialsIn(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const message = withoutUrlCredentials(error.message);
  if (message === error.message) return error;
  const copy = new Error(message);
  copy.name = error.name;
  copy.stack = withoutUrlCredentials(error.stack ?? `${error.name}: ${message}`);
  return copy;
}
