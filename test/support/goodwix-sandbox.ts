/**
 * Helpers for tests against the Goodwix sandbox: a raw API caller (for the contract and the
 * sandbox's own behaviour) and a client wired to the sandbox with an injected sleep.
 */
import { GoodwixClient, type GoodwixClientOptions } from '#goodwix/client';
import { startGoodwixSandbox, type GoodwixSandbox, type GoodwixSandboxOptions } from '#local/goodwix/sandbox';

export { startGoodwixSandbox, type GoodwixSandbox };

export interface RawAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the sandbox as a plain HTTP client would; logs in on first use of `api`. */
export class RawApi {
  token: string | undefined;
  constructor(
    readonly sandbox: GoodwixSandbox,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  get catalog(): string {
    return `/api/v1/catalogs/${this.sandbox.catalogId}`;
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawAnswer<T>> {
    const res = await this.fetchFn(this.sandbox.baseUrl + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  async login(): Promise<string> {
    const answer = await this.request('POST', '/api/v1/auth/login', this.sandbox.supplier);
    if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    this.token = answer.body.accessToken as string;
    return this.token;
  }

  /** An authenticated API call. */
  async api<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawAnswer<T>> {
    const token = this.token ?? (await this.login());
    return this.request<T>(method, path, body, { Authorization: `Bearer ${token}`, ...headers });
  }

  /** A /_sandbox action over HTTP. */
  async act<T = any>(method: string, path: string, body?: unknown): Promise<RawAnswer<T>> {
    return this.request<T>(method, `/_sandbox${path}`, body);
  }
}

export interface TestClient {
  client: GoodwixClient;
  /** Every wait the client asked for, in milliseconds; nothing really waits. */
  sleeps: number[];
}

export function clientFor(sandbox: GoodwixSandbox, options: Partial<GoodwixClientOptions> = {}): TestClient {
  const sleeps: number[] = [];
  const client = new GoodwixClient({
    baseUrl: sandbox.baseUrl,
    email: sandbox.supplier.email,
    password: sandbox.supplier.password,
    catalogId: sandbox.catalogId,
    timeoutMs: 2_000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return { client, sleeps };
}

/** A clock tests move by hand, shared by the sandbox and the client. */
export function manualClock(start = Date.parse('2025-03-01T09:00:00.000Z')): { now: () => number; date: () => Date; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, date: () => new Date(t), advance: (ms) => { t += ms; } };
}

export type { GoodwixSandboxOptions };
