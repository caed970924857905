/**
 * The Goodwix sandbox: an HTTP server on 127.0.0.1 serving the contract in
 * docs/goodwix-api.md (`/api/v1/…`, what the exchange talks to) from an in-memory world seeded
 * with the demo supplier, with fault injection; plus the buyer's and supplier's actions under
 * `/_sandbox/…` and, for tests in the same process, as methods on `sandbox.actions`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { FaultController, type GoodwixFaults } from './faults.ts';
import { API_PREFIX, orderStatuses, SANDBOX_PREFIX, type OrderStatus, type WireOrder, type WireProductReserves, type WireReserve } from './model.ts';
import { ApiProblem, badRequest, notFound } from './problem.ts';
import {
  bulkOrdersBody,
  cancelLineBody,
  editLineBody,
  faultsBody,
  loginBody,
  manualReserveBody,
  orderUpdateBody,
  parseBody,
  passwordBody,
  placeOrderBody,
  reasonBody,
  reservesBody,
} from './requests.ts';
import {
  GoodwixWorld,
  type BulkOrdersInput,
  type BuyerView,
  type ErpUpdate,
  type PlaceOrderInput,
  type SeedKind,
  type SupplierLineEdit,
  type SupplierView,
} from './world.ts';

export type { GoodwixFaults } from './faults.ts';

export interface GoodwixSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** `demo` (default): the demo catalog plus a few orders and a manual reserve; `empty`: the catalog only. */
  seed?: SeedKind;
  /** Generated products on top of the demo catalog (`bulkProducts` of #local/demo/supplier; the 1C sandbox's option of the same name has them too) */
  extraProducts?: number;
  tokenTtlSeconds?: number;
  /** The catalog's number (default the demo catalog's): another number stands for another catalog of the same supplier */
  catalogId?: number;
  faults?: Partial<GoodwixFaults>;
  clock?: () => Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  /** null while unanswered (or never, for a hung request). */
  status: number | null;
  fault: 'hang' | 'rateLimit' | 'fail' | 'lostResponse' | null;
  at: string;
}

export interface GoodwixSandboxActions {
  /** A buyer places an order from a price list (default: the buyer's own). */
  placeOrder(input: PlaceOrderInput): WireOrder;
  /** Thousands of orders in one go, for paging tests. */
  createOrders(input: BulkOrdersInput): { firstId: number; lastId: number; count: number };
  /** The supplier confirms a new order by hand ("Подтвержден"). */
  confirmOrder(orderId: number): WireOrder;
  /** The supplier rejects an order in Goodwix. */
  rejectOrder(orderId: number, reason?: string | null): WireOrder;
  /** The buyer cancels the whole order. */
  cancelOrder(orderId: number, reason?: string | null): WireOrder;
  /** The buyer cancels a line (default: all of what is still open). */
  cancelLine(orderId: number, lineId: string, options?: { quantity?: string | number; reason?: string | null }): WireOrder;
  /** The supplier edits a line in Goodwix (quantity, price, discount). */
  editLine(orderId: number, lineId: string, edit: SupplierLineEdit): WireOrder;
  /** The supplier reserves goods by hand in Goodwix. */
  addManualReserve(input: { productId: number; quantity: string | number; orderId?: number | null }): WireReserve;
  removeManualReserve(reserveId: string): void;
  order(orderId: number): WireOrder;
  buyerView(orderId: number): BuyerView;
  supplierView(orderId: number): SupplierView;
  reserves(productId: number): WireProductReserves;
  /**
   * The supplier changes the password: the old one stops working at once and every token issued
   * so far is revoked (the next call answers 401), as a portal does after a password change.
   */
  changePassword(password: string): void;
}

export interface GoodwixSandbox {
  readonly baseUrl: string;
  /** The supplier's login; `password` is the current one (`actions.changePassword`). */
  readonly supplier: { readonly email: string; readonly password: string };
  readonly catalogId: number;
  readonly faults: {
    set(partial: Partial<GoodwixFaults>): void;
    reset(): void;
    readonly current: Readonly<GoodwixFaults>;
    /** Every token issued so far expires now (next use: 401 token_expired). */
    expireTokens(): void;
  };
  readonly stats: {
    readonly requests: readonly RecordedRequest[];
    count(filter?: { method?: string; path?: string | RegExp }): number;
    reset(): void;
  };
  readonly actions: GoodwixSandboxActions;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_RECORDED = 200_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;
const MAX_RESERVE_PRODUCTS = 100;

type Handler = (ctx: RequestContext) => Promise<Answer> | Answer;
interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
interface RequestContext {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  body: () => Promise<unknown>;
}
interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
  auth: boolean;
}

export async function startGoodwixSandbox(options: GoodwixSandboxOptions = {}): Promise<GoodwixSandbox> {
  const clock = options.clock ?? (() => new Date());
  const world = new GoodwixWorld(clock, options.seed ?? 'demo', options.extraProducts ?? 0, options.catalogId);
  const startFaults: Partial<GoodwixFaults> = { ...(options.tokenTtlSeconds !== undefined ? { tokenTtlSeconds: options.tokenTtlSeconds } : {}) };
  const faults = new FaultController({ ...startFaults, ...options.faults });
  const tokens = new Map<string, { expiresAtMs: number }>();
  const idempotent = new Map<string, { fingerprint: string; answer: Answer }>();
  const recorded: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const catalogId = world.catalogId;
  // The world's supplier is the shared demo constant: the current password lives here.
  let supplierPassword: string = world.supplier.password;

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  // ------------------------------------------------------------------ routes
  const routes: Route[] = [];
  const route = (method: string, template: string, handler: Handler, auth = true): void => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    routes.push({ method, pattern, names, handler, auth });
  };

  const catalogPath = `${API_PREFIX}/catalogs/{catalogId}`;
  const ok = (body: unknown): Answer => ({ status: 200, body });

  const checkCatalog = (ctx: RequestContext): void => {
    if (intParam(ctx.params.catalogId, 'catalogId') !== catalogId) throw notFound(`Catalog ${ctx.params.catalogId}`, { catalogId: ctx.params.catalogId });
  };

  route('POST', `${API_PREFIX}/auth/login`, async (ctx) => {
    const body = parseBody(loginBody, await ctx.body());
    const s = world.supplier;
    if (body.email.trim().toLowerCase() !== s.email.toLowerCase() || body.password !== supplierPassword) {
      throw new ApiProblem(401, 'invalid_credentials', 'E-mail or password is wrong');
    }
    const token = randomBytes(24).toString('base64url');
    const expiresAtMs = clock().getTime() + faults.current.tokenTtlSeconds * 1000;
    tokens.set(token, { expiresAtMs });
    return ok({
      accessToken: token,
      tokenType: 'Bearer',
      expiresAt: new Date(expiresAtMs).toISOString(),
      supplier: { id: s.id, name: s.name, catalogIds: [catalogId] },
    });
  }, false);

  route('GET', catalogPath, (ctx) => {
    checkCatalog(ctx);
    return ok({ id: catalogId, name: world.catalogName, supplierId: world.supplier.id, currency: 'RUB', pricesIncludeVat: true });
  });

  route('GET', `${catalogPath}/products`, (ctx) => {
    checkCatalog(ctx);
    const ids = idList(ctx.query, 'ids', 500);
    const nomenclatureId = single(ctx.query, 'nomenclatureId');
    const all = [...world.products.values()].filter(
      (p) => (ids === null || ids.includes(p.id)) && (nomenclatureId === null || p.erp.nomenclatureId === nomenclatureId),
    );
    return ok(offsetPage(all, ctx.query));
  });
  route('GET', `${catalogPath}/products/{productId}`, (ctx) => {
    checkCatalog(ctx);
    return ok(world.product(intParam(ctx.params.productId, 'productId')));
  });

  route('GET', `${catalogPath}/buyers`, (ctx) => {
    checkCatalog(ctx);
    const inn = single(ctx.query, 'inn');
    const counterpartyId = single(ctx.query, 'counterpartyId');
    const all = [...world.buyers.values()].filter(
      (b) => (inn === null || b.inn === inn) && (counterpartyId === null || b.erp?.counterpartyId === counterpartyId),
    );
    return ok(offsetPage(all, ctx.query));
  });
  route('GET', `${catalogPath}/buyers/{buyerId}`, (ctx) => {
    checkCatalog(ctx);
    return ok(world.buyer(intParam(ctx.params.buyerId, 'buyerId')));
  });

  route('GET', `${catalogPath}/price-lists`, (ctx) => {
    checkCatalog(ctx);
    return ok(offsetPage([...world.priceLists.values()], ctx.query));
  });
  route('GET', `${catalogPath}/price-lists/{priceListId}`, (ctx) => {
    checkCatalog(ctx);
    return ok(world.priceList(intParam(ctx.params.priceListId, 'priceListId')));
  });

  route('GET', `${catalogPath}/orders`, (ctx) => {
    checkCatalog(ctx);
    const statuses = statusFilter(ctx.query);
    let changedSince = instantParam(ctx.query, 'changedSince');
    const limit = limitParam(ctx.query);
    const statusKey = statuses ? [...statuses].sort().join(',') : '*';
    const cursorText = single(ctx.query, 'cursor');
    let after = 0;
    let until: number | null = null;
    if (cursorText !== null) {
      const c = decodeCursor(cursorText);
      if (c.s !== statusKey) throw badRequest('The cursor was issued for other status filters', 'cursor', 'invalid_cursor');
      after = c.a;
      until = c.u;
      if (until !== null && until > world.headSeq) throw badRequest('The cursor is not from this server', 'cursor', 'invalid_cursor');
      changedSince = null; // the cursor already lies past it
    }
    const page = world.listOrders({ statuses: statuses ? [...statuses] : null, changedSince, after, until, limit });
    return ok({
      items: page.items,
      hasMore: page.hasMore,
      nextCursor: encodeCursor({ v: 1, a: page.next.after, u: page.next.until, s: statusKey }),
    });
  });
  route('GET', `${catalogPath}/orders/{orderId}`, (ctx) => {
    checkCatalog(ctx);
    return ok(world.order(intParam(ctx.params.orderId, 'orderId')));
  });
  route('PATCH', `${catalogPath}/orders/{orderId}`, async (ctx) => {
    checkCatalog(ctx);
    const orderId = intParam(ctx.params.orderId, 'orderId');
    const raw = await ctx.body();
    const key = ctx.req.headers['idempotency-key'];
    const fingerprint = `${orderId}:${JSON.stringify(raw)}`;
    if (typeof key === 'string') {
      if (key.length < 1 || key.length > 200) throw badRequest('Idempotency-Key must be 1..200 characters', 'Idempotency-Key');
      const seen = idempotent.get(key);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new ApiProblem(422, 'idempotency_key_reused', 'This Idempotency-Key was used with another request', { field: 'Idempotency-Key' });
        }
        return { ...seen.answer, headers: { ...seen.answer.headers, 'Idempotent-Replayed': 'true' } };
      }
    }
    world.order(orderId); // 404 before a 400 about the body
    const body = parseBody(orderUpdateBody, raw) as ErpUpdate;
    const answer = ok(world.erpUpdate(orderId, body));
    if (typeof key === 'string') idempotent.set(key, { fingerprint, answer });
    return answer;
  });

  route('GET', `${catalogPath}/reserves`, (ctx) => {
    checkCatalog(ctx);
    const ids = idList(ctx.query, 'productIds', MAX_RESERVE_PRODUCTS);
    if (ids === null) throw badRequest(`productIds is required: 1 to ${MAX_RESERVE_PRODUCTS} product ids`, 'productIds');
    return ok({ items: ids.map((id) => world.productReserves(id)) });
  });
  route('PUT', `${catalogPath}/reserves/{productId}`, async (ctx) => {
    checkCatalog(ctx);
    const productId = intParam(ctx.params.productId, 'productId');
    world.product(productId);
    const body = parseBody(reservesBody, await ctx.body());
    return ok(world.replaceIntegrationReserves(productId, body.reserves));
  });

  // ------------------------------------------------------------------ /_sandbox: buyer, supplier, test control
  const S = SANDBOX_PREFIX;
  const orderIdOf = (ctx: RequestContext): number => intParam(ctx.params.orderId, 'orderId');
  const sandboxRoute = (method: string, template: string, handler: Handler): void => route(method, `${S}${template}`, handler, false);

  sandboxRoute('POST', '/orders', async (ctx) => ({ status: 201, body: world.placeOrder(parseBody(placeOrderBody, await ctx.body()) as PlaceOrderInput) }));
  sandboxRoute('POST', '/orders/bulk', async (ctx) => ({ status: 201, body: world.createOrders(parseBody(bulkOrdersBody, await ctx.body())) }));
  sandboxRoute('GET', '/orders/{orderId}', (ctx) => {
    const id = orderIdOf(ctx);
    return ok({ order: world.order(id), buyerView: world.buyerView(id), supplierView: world.supplierView(id) });
  });
  sandboxRoute('POST', '/orders/{orderId}/confirm', (ctx) => ok(world.confirm(orderIdOf(ctx))));
  sandboxRoute('POST', '/orders/{orderId}/reject', async (ctx) => ok(world.reject(orderIdOf(ctx), parseBody(reasonBody, await ctx.body()).reason ?? null)));
  sandboxRoute('POST', '/orders/{orderId}/cancel', async (ctx) => ok(world.cancelByBuyer(orderIdOf(ctx), parseBody(reasonBody, await ctx.body()).reason ?? null)));
  sandboxRoute('POST', '/orders/{orderId}/lines/{lineId}/cancel', async (ctx) => {
    const b = parseBody(cancelLineBody, await ctx.body());
    return ok(world.cancelLineByBuyer(orderIdOf(ctx), decodeURIComponent(ctx.params.lineId ?? ''), b));
  });
  sandboxRoute('PATCH', '/orders/{orderId}/lines/{lineId}', async (ctx) =>
    ok(world.editLineBySupplier(orderIdOf(ctx), decodeURIComponent(ctx.params.lineId ?? ''), parseBody(editLineBody, await ctx.body()))),
  );
  sandboxRoute('POST', '/reserves', async (ctx) => ({ status: 201, body: world.addManualReserve(parseBody(manualReserveBody, await ctx.body())) }));
  sandboxRoute('DELETE', '/reserves/{reserveId}', (ctx) => {
    world.removeManualReserve(decodeURIComponent(ctx.params.reserveId ?? ''));
    return { status: 204 };
  });
  sandboxRoute('GET', '/faults', () => ok(faults.current));
  sandboxRoute('PATCH', '/faults', async (ctx) => {
    const partial = parseBody(faultsBody, await ctx.body()) as Partial<GoodwixFaults>;
    faults.set(partial);
    return ok(faults.current);
  });
  sandboxRoute('DELETE', '/faults', () => {
    faults.reset(startFaults);
    return ok(faults.current);
  });
  sandboxRoute('POST', '/tokens/expire', () => {
    expireTokens();
    return { status: 204 };
  });
  sandboxRoute('PUT', '/supplier/password', async (ctx) => {
    changePassword(parseBody(passwordBody, await ctx.body()).password);
    return { status: 204 };
  });
  sandboxRoute('GET', '/stats', () => ok({ count: recorded.length, requests: recorded.slice(-1000) }));
  sandboxRoute('DELETE', '/stats', () => {
    recorded.length = 0;
    return { status: 204 };
  });

  function changePassword(password: string): void {
    supplierPassword = password;
    tokens.clear();
  }

  function expireTokens(): void {
    const now = clock().getTime();
    for (const t of tokens.values()) t.expiresAtMs = Math.min(t.expiresAtMs, now - 1);
  }

  function authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const challenge = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };
    if (!match) throw new ApiProblem(401, 'unauthorized', 'A bearer token is required: log in at /api/v1/auth/login', undefined, challenge);
    const entry = tokens.get(match[1] as string);
    if (!entry) throw new ApiProblem(401, 'unauthorized', 'The token is not known', undefined, challenge);
    if (entry.expiresAtMs <= clock().getTime()) throw new ApiProblem(401, 'token_expired', 'The token has expired: log in again', undefined, challenge);
  }

  // ------------------------------------------------------------------ HTTP
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const requestId = randomUUID();
    const entry: RecordedRequest = { method, path, query: url.search, status: null, fault: null, at: clock().toISOString() };
    if (recorded.length >= MAX_RECORDED) recorded.splice(0, recorded.length - MAX_RECORDED + 1);
    recorded.push(entry);
    let loseAnswer = false;
    const reply = (answer: Answer): void => {
      entry.status = answer.status;
      if (res.destroyed || res.headersSent) return;
      if (loseAnswer) {
        entry.fault = 'lostResponse';
        req.socket.destroy(); // processed, but the caller never hears of it
        return;
      }
      const headers: Record<string, string> = { 'X-Request-Id': requestId, ...answer.headers };
      if (answer.body === undefined) {
        res.writeHead(answer.status, headers).end();
        return;
      }
      const text = JSON.stringify(answer.body);
      res.writeHead(answer.status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
    };

    try {
      if (path.startsWith(`${API_PREFIX}/`)) {
        const decision = faults.decide(method, path);
        if (decision.kind === 'hang') {
          entry.fault = 'hang';
          req.resume();
          return; // never answered; close() destroys the socket
        }
        if (decision.kind === 'rateLimit') {
          entry.fault = 'rateLimit';
          req.resume();
          throw new ApiProblem(429, 'rate_limited', `Too many requests: retry after ${decision.retryAfterSeconds} s`, { retryAfterSeconds: decision.retryAfterSeconds }, {
            'Retry-After': String(decision.retryAfterSeconds),
          });
        }
        if (decision.kind === 'fail') {
          entry.fault = 'fail';
          req.resume();
          const code = decision.status === 500 ? 'internal_error' : decision.status === 504 ? 'gateway_timeout' : 'service_unavailable';
          throw new ApiProblem(decision.status, code, 'The service is temporarily unable to answer; try again');
        }
        loseAnswer = decision.drop;
        if (decision.delayMs > 0) await delay(decision.delayMs);
      }

      const candidates = routes.filter((r) => r.pattern.test(path));
      const matched = candidates.find((r) => r.method === method);
      if (!matched) {
        if (candidates.length > 0) {
          throw new ApiProblem(405, 'method_not_allowed', `${method} is not allowed on ${path}`, undefined, { Allow: candidates.map((r) => r.method).join(', ') });
        }
        throw notFound(`Path ${path}`);
      }
      if (matched.auth) authenticate(req);
      const m = matched.pattern.exec(path) as RegExpExecArray;
      const params: Record<string, string> = {};
      matched.names.forEach((name, i) => {
        params[name] = m[i + 1] as string;
      });
      let bodyPromise: Promise<unknown> | undefined;
      const ctx: RequestContext = { req, params, query: url.searchParams, body: () => (bodyPromise ??= readJson(req)) };
      const answer = await matched.handler(ctx);
      if (!bodyPromise) req.resume();
      reply(answer);
    } catch (error) {
      req.resume();
      if (error instanceof ApiProblem) {
        reply({
          status: error.status,
          body: { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } },
          ...(error.headers ? { headers: error.headers } : {}),
        });
      } else {
        reply({ status: 500, body: { error: { code: 'internal_error', message: error instanceof Error ? error.message : String(error) } } });
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The Goodwix sandbox did not get a TCP address');

  let closed: Promise<void> | undefined;
  const sandbox: GoodwixSandbox = {
    baseUrl: `http://127.0.0.1:${address.port}`,
    supplier: {
      email: world.supplier.email,
      get password() {
        return supplierPassword;
      },
    },
    catalogId,
    faults: {
      set: (partial) => faults.set(partial),
      reset: () => faults.reset(startFaults),
      get current() {
        return faults.current;
      },
      expireTokens,
    },
    stats: {
      get requests() {
        return recorded;
      },
      count(filter = {}) {
        return recorded.filter(
          (r) =>
            (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
            (filter.path === undefined || (typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path))),
        ).length;
      },
      reset() {
        recorded.length = 0;
      },
    },
    actions: {
      placeOrder: (input) => world.placeOrder(input),
      createOrders: (input) => world.createOrders(input),
      confirmOrder: (id) => world.confirm(id),
      rejectOrder: (id, reason) => world.reject(id, reason ?? null),
      cancelOrder: (id, reason) => world.cancelByBuyer(id, reason ?? null),
      cancelLine: (id, lineId, opts) => world.cancelLineByBuyer(id, lineId, opts),
      editLine: (id, lineId, edit) => world.editLineBySupplier(id, lineId, edit),
      addManualReserve: (input) => world.addManualReserve(input),
      removeManualReserve: (reserveId) => world.removeManualReserve(reserveId),
      order: (id) => world.order(id),
      buyerView: (id) => world.buyerView(id),
      supplierView: (id) => world.supplierView(id),
      reserves: (productId) => world.productReserves(productId),
      changePassword,
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
      return closed;
    },
  };
  return sandbox;
}

// -------------------------------------------------------------------- helpers

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new ApiProblem(413, 'payload_too_large', `The body exceeds ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ApiProblem(400, 'invalid_request', 'The body is not valid JSON', { field: '(body)', issues: [{ field: '(body)', message: 'Not valid JSON' }] }));
      }
    });
    req.on('error', reject);
  });
}

/** Ids of catalogs, products, buyers, price lists and orders: 1 to 12 digits (docs/goodwix-api.openapi.json `Id`). */
export const MAX_ID = 999_999_999_999;

function intParam(value: string | undefined, name: string): number {
  const n = value !== undefined && /^\d{1,20}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_ID)) throw badRequest(`${name} must be an integer from 1 to ${MAX_ID}`, name);
  return n;
}

/** A query parameter given once (the contract has no repeated parameters), or null when absent. */
function single(query: URLSearchParams, name: string): string | null {
  const values = query.getAll(name);
  if (values.length > 1) throw badRequest(`${name} is given ${values.length} times: give it once`, name);
  return values[0] ?? null;
}

/** `ids=1,2,3`: ids without leading zeros, comma-separated, nothing else. */
function idList(query: URLSearchParams, name: string, max: number): number[] | null {
  const text = single(query, name);
  if (text === null) return null;
  const id = '[1-9][0-9]{0,11}';
  if (!new RegExp(`^${id}(,${id}){0,${max - 1}}$`).test(text)) {
    throw badRequest(`${name} must be 1 to ${max} ids from 1 to ${MAX_ID}, comma-separated without spaces`, name);
  }
  return text.split(',').map(Number);
}

function limitParam(query: URLSearchParams): number {
  const text = single(query, 'limit');
  if (text === null) return DEFAULT_LIMIT;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) throw badRequest(`limit must be between 1 and ${MAX_LIMIT}`, 'limit');
  return n;
}

const listedStatuses = orderStatuses.filter((s) => s !== 'new');
const statusListRe = new RegExp(`^(${listedStatuses.join('|')})(,(${listedStatuses.join('|')}))*$`);

function statusFilter(query: URLSearchParams): Set<OrderStatus> | null {
  const text = single(query, 'status');
  if (text === null) return null;
  if (!statusListRe.test(text)) {
    throw badRequest(`status must be a comma-separated list of ${listedStatuses.join(', ')} (new orders are not for the exchange)`, 'status');
  }
  return new Set(text.split(',') as OrderStatus[]);
}

/** RFC 3339 date-time with a zone, as JSON Schema's `date-time` format reads it. */
const instantRe = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}(:?\d{2})?)$/;

function instantParam(query: URLSearchParams, name: string): Date | null {
  const text = single(query, name);
  if (text === null) return null;
  const m = instantRe.exec(text);
  const zone = m?.[8] ?? '';
  const iso = m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${/^[Zz]$/.test(zone) ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}` : '';
  const at = new Date(iso);
  // Date rolls 2025-02-30 over to March: a date that does not exist is refused, not moved.
  if (!m || Number.isNaN(at.getTime()) || Number(m[2]) > 12 || Number(m[3]) > 31 || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59 || !validDay(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw badRequest(`${name} must be an ISO 8601 date-time with a time zone`, name);
  }
  return at;
}

function validDay(year: number, month: number, day: number): boolean {
  return month >= 1 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Opaque list cursor for products, buyers and price lists: an offset. */
function offsetPage<T>(all: readonly T[], query: URLSearchParams): { items: T[]; hasMore: boolean; nextCursor: string | null } {
  const limit = limitParam(query);
  const cursor = single(query, 'cursor');
  let offset = 0;
  if (cursor !== null) {
    const decoded = safeDecode(cursor) as { o?: unknown } | null;
    if (!decoded || typeof decoded.o !== 'number' || !Number.isInteger(decoded.o) || decoded.o < 0) {
      throw badRequest('The cursor is not valid', 'cursor', 'invalid_cursor');
    }
    offset = decoded.o;
  }
  const items = all.slice(offset, offset + limit);
  const hasMore = offset + limit < all.length;
  return { items, hasMore, nextCursor: hasMore ? Buffer.from(JSON.stringify({ o: offset + limit })).toString('base64url') : null };
}

interface OrderCursor {
  v: 1;
  a: number;
  u: number | null;
  s: string;
}

function encodeCursor(c: OrderCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): OrderCursor {
  const c = safeDecode(text) as Partial<OrderCursor> | null;
  const isSeq = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (c?.v !== 1 || !isSeq(c.a) || !(c.u === null || isSeq(c.u)) || typeof c.s !== 'string') {
    throw badRequest('The cursor is not valid', 'cursor', 'invalid_cursor');
  }
  return c as OrderCursor;
}

function safeDecode(text: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}
